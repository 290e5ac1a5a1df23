import type { Redis } from 'ioredis';
import type { Publisher, PublishMessage } from '../../../core/ports/publisher.js';
import { encodeMessage } from '../shared/cloud-event.js';
import { HealthTrackedComponent } from '../shared/health-tracked-component.js';
import { closeRedis, connectRedis } from '../shared/redis-connection.js';
import type { RedisStreamsConfig } from './redis-streams-config.js';

/**
 * pubsub.redis: XADD to the stream named after the topic, as Dapr does. The entry has field
 * `data` (the CloudEvent JSON, or the raw payload) and, when the message has metadata, field
 * `metadata` (that metadata as JSON). A Dapr subscriber on the same stream reads it unchanged.
 */
export class RedisStreamsPublisher extends HealthTrackedComponent implements Publisher {
  readonly #client: Redis;

  constructor(
    readonly name: string,
    private readonly config: RedisStreamsConfig,
    label: string,
  ) {
    super(label);
    this.#client = connectRedis(config, this.health);
  }

  async publish(msg: PublishMessage): Promise<void> {
    await this.health.waitUp(this.config.connectMs);
    const { body } = encodeMessage(msg, this.name);
    const trim = this.config.maxLenApprox > 0 ? ['MAXLEN', '~', String(this.config.maxLenApprox)] : [];
    const fields: (string | Buffer)[] = ['data', body];
    if (Object.keys(msg.metadata).length > 0) fields.push('metadata', JSON.stringify(msg.metadata));
    try {
      await this.#client.xadd(msg.topic, ...trim, '*', ...fields);
    } catch (err) {
      throw this.failed(`publish to "${msg.topic}"`, err);
    }
  }

  protected release(): Promise<void> {
    return closeRedis(this.#client, this.health, this.config.operationMs);
  }
}
