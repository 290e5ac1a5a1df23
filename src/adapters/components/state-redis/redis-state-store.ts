import type { Redis } from 'ioredis';
import type { StateStore } from '../../../core/ports/state-store.js';
import { HealthTrackedComponent } from '../shared/health-tracked-component.js';
import type { RedisConfig } from '../shared/redis-config.js';
import { closeRedis, connectRedis } from '../shared/redis-connection.js';

/**
 * state.redis: each key is a plain Redis string holding the value as JSON (SET/GET/DEL), so any
 * Redis client reads it with GET. Unlike Dapr's own state.redis this keeps no hash with an etag
 * version and adds no `appId||` key prefix: the key is exactly the one given.
 */
export class RedisStateStore extends HealthTrackedComponent implements StateStore {
  readonly #client: Redis;

  constructor(
    readonly name: string,
    private readonly config: RedisConfig,
    label: string,
  ) {
    super(label);
    this.#client = connectRedis(config, this.health);
  }

  async save(key: string, value: unknown): Promise<void> {
    await this.#run('save', key, () => this.#client.set(key, JSON.stringify(value ?? null)));
  }

  async get(key: string): Promise<unknown | undefined> {
    const text = await this.#run('get', key, () => this.#client.get(key));
    return text === null ? undefined : (JSON.parse(text) as unknown);
  }

  async delete(key: string): Promise<void> {
    await this.#run('delete', key, () => this.#client.del(key));
  }

  async #run<T>(action: string, key: string, op: () => Promise<T>): Promise<T> {
    await this.health.waitUp(this.config.connectMs);
    try {
      return await op();
    } catch (err) {
      throw this.failed(`${action} "${key}"`, err);
    }
  }

  protected release(): Promise<void> {
    return closeRedis(this.#client, this.health, this.config.operationMs);
  }
}
