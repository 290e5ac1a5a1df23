import { Redis } from 'ioredis';
import type { ConnectionHealth } from './connection-health.js';
import { errorMessage } from './error-message.js';
import type { RedisConfig } from './redis-config.js';

const RECONNECT_MAX_DELAY_MS = 2_000;

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
