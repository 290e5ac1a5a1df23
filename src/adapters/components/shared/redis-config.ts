// Read from the component's metadata at start, apart from the adapters (pubsub.redis, state.redis):
// create-components.ts checks every component with these readers and loads an adapter, and its
// client library, only for a component that is configured (a server without one does not load
// ioredis).
import type { MetadataReader } from './metadata-reader.js';

/** What pubsub.redis and state.redis share: Dapr's redisHost, redisPassword, ... */
export interface RedisConfig {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  connectMs: number;
  operationMs: number;
}

export function readRedisConfig(reader: MetadataReader): RedisConfig {
  const hostPort = reader.requiredString('redisHost', '"localhost:6379"');
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort);
  const port = Number(match?.[2] ?? 6379);
  if (!match || port < 1 || port > 65535) reader.fail('redisHost', `is "${hostPort}"; use host:port, e.g. "localhost:6379"`);
  reader.unsupportedWhenTrue('enableTLS', 'TLS connections to Redis are not implemented yet');
  reader.unsupportedWhenTrue('failover', 'Redis Sentinel is not implemented yet');
  const redisType = reader.string('redisType');
  if (redisType !== undefined && redisType !== 'node') reader.fail('redisType', `is "${redisType}"; only a single Redis node ("node") is supported`);
  const timeouts = reader.timeouts({ connect: ['dialTimeout'], operation: ['writeTimeout'] });
  return {
    host: match[1]!.replace(/^\[|\]$/g, ''),
    port,
    username: reader.string('redisUsername'),
    password: reader.string('redisPassword'),
    db: reader.integer('redisDB', 0, { min: 0, max: 1024 }),
    connectMs: timeouts.connectMs,
    operationMs: timeouts.operationMs,
  };
}
