// Read from the component's metadata at start, apart from the adapter: create-components.ts checks
// every component with these readers and loads the adapter, and its client library, only for a
// component that is configured (a server without one does not load mqtt).
import type { MetadataReader } from '../shared/metadata-reader.js';

export interface MqttConfig {
  url: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** Prefix of the client id; a random suffix keeps replicas from kicking each other off. */
  clientIdPrefix: string;
  connectMs: number;
  operationMs: number;
}

export function readMqttConfig(reader: MetadataReader): MqttConfig {
  const url = reader.requiredString('url', '"tcp://localhost:1883"');
  if (!/^(tcp|mqtt|ssl|mqtts|tls|ws|wss):\/\//.test(url)) reader.fail('url', `is "${url}"; use tcp://host:port or mqtt://host:port`);
  for (const unsupported of ['caCert', 'clientCert', 'clientKey']) {
    if (reader.string(unsupported) !== undefined) reader.fail(unsupported, 'is not supported yet: TLS client certificates are not implemented');
  }
  const qos = reader.integer('qos', 1, { min: 0, max: 2 }) as 0 | 1 | 2;
  return {
    url,
    qos,
    retain: reader.boolean('retain', false),
    clientIdPrefix: reader.string('consumerID') ?? 'duetime',
    ...reader.timeouts(),
  };
}
