import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Publisher, PublishMessage } from '../../../core/ports/publisher.js';
import { encodeMessage } from '../shared/cloud-event.js';
import { HealthTrackedComponent } from '../shared/health-tracked-component.js';
import { errorMessage } from '../shared/error-message.js';
import { withTimeout } from '../shared/with-timeout.js';
import type { RabbitMqConfig } from './rabbitmq-config.js';

const RECONNECT_MAX_DELAY_MS = 2_000;
/** Message metadata keys that steer the publish rather than travel as AMQP headers. */
const CONTROL_KEYS = new Set(['rawPayload', 'routingKey']);

interface Session {
  connection: ChannelModel;
  channel: ConfirmChannel;
  /** Exchanges declared on this connection. */
  exchanges: Set<string>;
}

/**
 * pubsub.rabbitmq: as Dapr does, one durable exchange per topic, named after the topic (fanout
 * unless exchangeKind says otherwise), declared on first use; subscribers bind their queues to
 * it. Messages are persistent and go through a confirm channel: publish() resolves when the
 * broker confirms it has taken responsibility for the message, and rejects on a nack.
 *
 * Message metadata `routingKey` sets the routing key (for topic/direct exchanges); other
 * message metadata travels as AMQP headers. The message id is the CloudEvent id.
 *
 * Connection: retried with a capped backoff until it succeeds and again whenever it closes.
 * A channel error (e.g. an exchange declared elsewhere with another kind) closes the connection,
 * which then reconnects with a fresh channel.
 */
export class RabbitMqPublisher extends HealthTrackedComponent implements Publisher {
  #session: Session | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #attempts = 0;

  constructor(
    readonly name: string,
    private readonly config: RabbitMqConfig,
    label: string,
  ) {
    super(label);
    void this.#connect();
  }

  async #connect(): Promise<void> {
    if (this.health.isClosed) return;
    let connection: ChannelModel | undefined;
    try {
      connection = await connect(this.config.url, {
        timeout: this.config.connectMs,
        clientProperties: { connection_name: `duetime-${this.name}` },
      });
      const opened = connection;
      opened.on('error', (err: unknown) => this.health.noteError(errorMessage(err)));
      opened.on('blocked', (reason: unknown) => this.health.noteError(`broker blocked publishing: ${String(reason)}`));
      opened.on('close', (err: unknown) => this.#lost(opened, err ? errorMessage(err) : 'connection closed'));
      const channel = await withTimeout(opened.createConfirmChannel(), this.config.connectMs, 'opening a channel');
      channel.on('error', (err: unknown) => this.health.noteError(errorMessage(err)));
      channel.on('close', () => {
        if (this.#session?.channel === channel) void opened.close().catch(() => undefined);
      });
      if (this.health.isClosed) {
        await opened.close().catch(() => undefined);
        return;
      }
      this.#attempts = 0;
      this.#session = { connection: opened, channel, exchanges: new Set() };
      this.health.up();
    } catch (err) {
      this.health.down(errorMessage(err));
      void connection?.close().catch(() => undefined);
      this.#scheduleReconnect();
    }
  }

  #lost(connection: ChannelModel, reason: string): void {
    if (this.#session?.connection !== connection) return;
    this.#session = undefined;
    this.health.down(reason);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.health.isClosed) return;
    this.#attempts += 1;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => void this.#connect(), Math.min(200 * this.#attempts, RECONNECT_MAX_DELAY_MS));
    this.#retryTimer.unref();
  }

  async publish(msg: PublishMessage): Promise<void> {
    await this.health.waitUp(this.config.connectMs);
    const session = this.#session;
    if (session === undefined) throw new Error(`${this.health.label}: not connected`);
    const { body, contentType } = encodeMessage(msg, this.name);
    const headers = Object.fromEntries(Object.entries(msg.metadata).filter(([key]) => !CONTROL_KEYS.has(key)));
    try {
      if (!session.exchanges.has(msg.topic)) {
        await withTimeout(
          session.channel.assertExchange(msg.topic, this.config.exchangeKind, { durable: true }),
          this.config.operationMs,
          `declaring exchange "${msg.topic}"`,
        );
        session.exchanges.add(msg.topic);
      }
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          session.channel.publish(
            msg.topic,
            msg.metadata.routingKey ?? '',
            body,
            {
              persistent: this.config.deliveryMode === 2,
              contentType,
              messageId: msg.id,
              timestamp: Math.floor(Date.now() / 1000),
              headers,
            },
            (err: unknown) => (err ? reject(err instanceof Error ? err : new Error('broker rejected (nack) the message')) : resolve()),
          );
        }),
        this.config.operationMs,
        'waiting for the broker to confirm',
      );
    } catch (err) {
      throw this.failed(`publish to "${msg.topic}"`, err);
    }
  }

  protected async release(): Promise<void> {
    clearTimeout(this.#retryTimer);
    const session = this.#session;
    this.#session = undefined;
    if (session) await withTimeout(session.connection.close(), this.config.operationMs, 'closing the AMQP connection').catch(() => undefined);
  }
}
