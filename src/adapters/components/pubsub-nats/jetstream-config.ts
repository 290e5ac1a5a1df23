// Read from the component's metadata at start, apart from the adapter: create-components.ts checks
// every component with these readers and loads the adapter, and its client library, only for a
// component that is configured (a server without one does not load the NATS client).
import type { MetadataReader } from '../shared/metadata-reader.js';

export interface JetStreamConfig {
  natsURL: string;
  /** Connection name shown by the server. */
  connectionName: string;
  token?: string;
  /**
   * When set, the stream Duetime creates (file storage) or extends so that it captures every
   * topic published to. When absent, a stream must already capture each topic.
   */
  streamName?: string;
  connectMs: number;
  operationMs: number;
}

export function readJetStreamConfig(reader: MetadataReader): JetStreamConfig {
  const natsURL = reader.requiredString('natsURL', '"nats://localhost:4222"');
  if (!/^(nats|tls):\/\//.test(natsURL) && !/^[^:/]+:\d+$/.test(natsURL)) {
    reader.fail('natsURL', `is "${natsURL}"; use nats://host:port`);
  }
  for (const unsupported of ['jwt', 'seedKey', 'tls_client_cert', 'tls_client_key']) {
    if (reader.string(unsupported) !== undefined) reader.fail(unsupported, 'is not supported yet; use token authentication or none');
  }
  const streamName = reader.string('streamName');
  if (streamName !== undefined && !/^[^.*>\s]+$/.test(streamName)) {
    reader.fail('streamName', `is "${streamName}"; a stream name cannot contain '.', '*', '>' or spaces`);
  }
  return {
    natsURL,
    connectionName: reader.string('name') ?? `duetime-${reader.descriptor.name}`,
    token: reader.string('token'),
    streamName,
    ...(() => {
      const t = reader.timeouts();
      return { connectMs: t.connectMs, operationMs: t.operationMs };
    })(),
  };
}
