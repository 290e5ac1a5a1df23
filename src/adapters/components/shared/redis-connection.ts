import { Redis } from 'ioredis';
import type { ConnectionHealth } from './connection-health.js';
import { errorMessage } from './error-message.js';
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

const RECONNECT_MAX_DELAY_MS = 2_000;

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

/**
 * An ioredis client that reconnects forever with a capped backoff, never queues commands while
 * disconnected (they fail at once, so the caller's wait is bounded by ConnectionHealth), times
 * out each command, and reports its state to `health`. Its 'error' events are consumed here:
 * a down Redis never becomes an uncaught exception.
 */
export function connectRedis(config: RedisConfig, health: ConnectionHealth): Redis {
  const client = new Redis({
    host: config.host,
    port: config.port,
    username: config.username,
    password: config.password,
    db: config.db,
    connectTimeout: config.connectMs,
    commandTimeout: config.operationMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(100 * times, RECONNECT_MAX_DELAY_MS),
    connectionName: 'duetime',
  });
  client.on('ready', () => health.up());
  client.on('error', (err: unknown) => health.down(errorMessage(err)));
  client.on('close', () => {
    if (health.isUp) health.down('connection closed');
  });
  return client;
}

/** Quits politely, or drops the connection when Redis does not answer in time. */
export async function closeRedis(client: Redis, health: ConnectionHealth, timeoutMs: number): Promise<void> {
  health.close();
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  const timer = setTimeout(() => client.disconnect(), timeoutMs);
  try {
    await client.quit();
  } catch {
    client.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
