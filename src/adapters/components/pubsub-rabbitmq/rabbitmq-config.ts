// Read from the component's metadata at start, apart from the adapter: create-components.ts checks
// every component with these readers and loads the adapter, and its client library, only for a
// component that is configured (a server without one does not load amqplib).
import type { MetadataReader } from '../shared/metadata-reader.js';

const EXCHANGE_KINDS = ['fanout', 'topic', 'direct', 'headers'] as const;

export interface RabbitMqConfig {
  url: string;
  exchangeKind: (typeof EXCHANGE_KINDS)[number];
  /** AMQP delivery mode: 2 = persistent (the default here), 1 = transient. */
  deliveryMode: 1 | 2;
  connectMs: number;
  operationMs: number;
}

export function readRabbitMqConfig(reader: MetadataReader): RabbitMqConfig {
  // Dapr's newer name is connectionString; its older one, host, also holds a full URL.
  const url = reader.requiredString(['connectionString', 'host'], '"amqp://guest:guest@localhost:5672"');
  if (!/^amqps?:\/\//.test(url)) reader.fail(reader.string('connectionString') ? 'connectionString' : 'host', 'must be an amqp:// or amqps:// URL');
  const deliveryMode = reader.integer('deliveryMode', 2, { min: 0, max: 2 });
  return {
    url,
    exchangeKind: reader.oneOf('exchangeKind', EXCHANGE_KINDS, 'fanout'),
    deliveryMode: deliveryMode === 2 ? 2 : 1,
    ...reader.timeouts(),
  };
}
