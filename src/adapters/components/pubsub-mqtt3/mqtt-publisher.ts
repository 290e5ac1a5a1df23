import { randomBytes } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';
import type { Publisher, PublishMessage } from '../../../core/ports/publisher.js';
import { encodeMessage } from '../shared/cloud-event.js';
import { HealthTrackedComponent } from '../shared/health-tracked-component.js';
import { errorMessage } from '../shared/error-message.js';
import { withTimeout } from '../shared/with-timeout.js';
import type { MqttConfig } from './mqtt-config.js';

const RECONNECT_PERIOD_MS = 1_000;

/**
 * pubsub.mqtt3: publishes to the MQTT topic named after the topic (MQTT 3.1.1), with the
 * component's qos and retain. With qos 1 or 2 publish() resolves on the broker's PUBACK /
 * PUBCOMP; with qos 0 once the packet is written. mqtt.js reconnects by itself.
 *
 * Delivery is at least once: a publish that timed out while the connection dropped stays in
 * mqtt.js's outgoing store and may still reach the broker after reconnecting, besides the
 * engine's retry of the attempt.
 */
export class MqttPublisher extends HealthTrackedComponent implements Publisher {
  readonly #client: MqttClient;

  constructor(
    readonly name: string,
    private readonly config: MqttConfig,
    label: string,
  ) {
    super(label);
    // MQTT 3.1.1 caps client ids at 23 bytes for strict brokers; mosquitto allows more.
    const clientId = `${config.clientIdPrefix}-pub-${randomBytes(4).toString('hex')}`;
    this.#client = connect(config.url.replace(/^tcp:/, 'mqtt:').replace(/^ssl:/, 'mqtts:'), {
      clientId,
      protocolVersion: 4,
      clean: true,
      connectTimeout: config.connectMs,
      reconnectPeriod: RECONNECT_PERIOD_MS,
      queueQoSZero: false,
      resubscribe: false,
    });
    this.#client.on('connect', () => this.health.up());
    this.#client.on('error', (err) => this.health.down(errorMessage(err)));
    this.#client.on('offline', () => {
      if (this.health.isUp) this.health.down('connection lost');
    });
    this.#client.on('close', () => {
      if (this.health.isUp) this.health.down('connection closed');
    });
  }

  async publish(msg: PublishMessage): Promise<void> {
    await this.health.waitUp(this.config.connectMs);
    const { body } = encodeMessage(msg, this.name);
    try {
      await withTimeout(
        this.#client.publishAsync(msg.topic, body, { qos: this.config.qos, retain: this.config.retain }),
        this.config.operationMs,
        'waiting for the broker to acknowledge',
      );
    } catch (err) {
      throw this.failed(`publish to "${msg.topic}"`, err);
    }
  }

  protected async release(): Promise<void> {
    // force: do not wait for in-flight acknowledgements of a broker that may be gone.
    await withTimeout(this.#client.endAsync(true), this.config.operationMs, 'closing the MQTT client').catch(() => undefined);
  }
}
