import type { Redis } from 'ioredis';
import type { Publisher, PublishMessage } from '../../../core/ports/publisher.js';
import { encodeMessage } from '../shared/cloud-event.js';
import { ConnectionHealth } from '../shared/connection-health.js';
import { errorMessage } from '../shared/error-message.js';
import type { MetadataReader } from '../shared/metadata-reader.js';
import { closeRedis, connectRedis, readRedisConfig, type RedisConfig } from '../shared/redis-connection.js';

export interface RedisStreamsConfig extends RedisConfig {
  /** XADD MAXLEN ~ n: trims the stream to about n entries; 0 = no trimming. */
  maxLenApprox: number;
}

export function readRedisStreamsConfig(reader: MetadataReader): RedisStreamsConfig {
  return {
    ...readRedisConfig(reader),
    maxLenApprox: reader.integer('maxLenApprox', 0, { min: 0, max: Number.MAX_SAFE_INTEGER }),
  };
}

/**
 * pubsub.redis: XADD to the stream named after the topic, as Dapr does. The entry has field
 * `data` (the CloudEvent JSON, or the raw payload) and, when the message has metadata, field
 * `metadata` (that metadata as JSON). A Dapr subscriber on the same stream reads it unchanged.
 */
export class RedisStreamsPublisher implements Publisher {
  readonly #health: ConnectionHealth;
  readonly #client: Redis;

  constructor(
    readonly name: string,
    private readonly config: RedisStreamsConfig,
    label: string,
  ) {
    this.#health = new ConnectionHealth(label);
    this.#client = connectRedis(config, this.#health);
  }

  async publish(msg: PublishMessage): Promise<void> {
    await this.#health.waitUp(this.config.connectMs);
    const { body } = encodeMessage(msg, this.name);
    const trim = this.config.maxLenApprox > 0 ? ['MAXLEN', '~', String(this.config.maxLenApprox)] : [];
    const fields: (string | Buffer)[] = ['data', body];
    if (Object.keys(msg.metadata).length > 0) fields.push('metadata', JSON.stringify(msg.metadata));
    try {
      await this.#client.xadd(msg.topic, ...trim, '*', ...fields);
    } catch (err) {
      this.#health.noteError(errorMessage(err));
      throw new Error(`${this.#health.label}: publish to "${msg.topic}" failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  healthy(): boolean {
    return this.#health.healthy();
  }

  lastError(): string | undefined {
    return this.#health.lastError();
  }

  close(): Promise<void> {
    return closeRedis(this.#client, this.#health, this.config.operationMs);
  }
}
