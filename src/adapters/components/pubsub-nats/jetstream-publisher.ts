import { jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import type { Publisher, PublishMessage } from '../../../core/ports/publisher.js';
import { encodeMessage } from '../shared/cloud-event.js';
import { HealthTrackedComponent } from '../shared/health-tracked-component.js';
import { errorMessage } from '../shared/error-message.js';
import { withTimeout } from '../shared/with-timeout.js';
import type { JetStreamConfig } from './jetstream-config.js';

const RECONNECT_WAIT_MS = 1_000;
const RETRY_FIRST_CONNECT_MAX_MS = 2_000;

/**
 * pubsub.nats (and Dapr's name pubsub.jetstream): publishes to the JetStream subject named
 * after the topic and resolves on the stream's PubAck, so the message is stored. The message id
 * (the trigger id) goes in the Nats-Msg-Id header: JetStream drops a retried attempt of the
 * same tick that it already stored, within the stream's duplicate window (2 minutes by default).
 *
 * Connection: the first connection is retried here until it succeeds; after that the NATS
 * client reconnects by itself forever. Its status events keep the health current.
 */
export class JetStreamPublisher extends HealthTrackedComponent implements Publisher {
  #connection: { nc: NatsConnection; js: JetStreamClient } | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #attempts = 0;
  /** Subjects known to be captured by streamName since the last (re)connect. */
  readonly #ensured = new Set<string>();
  /** Stream updates run one at a time: two new topics at once must not lose a subject. */
  #ensureQueue: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly config: JetStreamConfig,
    label: string,
  ) {
    super(label);
    void this.#connect();
  }

  async #connect(): Promise<void> {
    if (this.health.isClosed) return;
    try {
      const nc = await connect({
        servers: this.config.natsURL,
        name: this.config.connectionName,
        token: this.config.token,
        timeout: this.config.connectMs,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: RECONNECT_WAIT_MS,
        waitOnFirstConnect: false,
      });
      if (this.health.isClosed) {
        await nc.close();
        return;
      }
      this.#attempts = 0;
      this.#connection = { nc, js: jetstream(nc, { timeout: this.config.operationMs }) };
      this.health.up();
      void this.#watch(nc);
    } catch (err) {
      this.health.down(errorMessage(err));
      this.#attempts += 1;
      const delay = Math.min(200 * this.#attempts, RETRY_FIRST_CONNECT_MAX_MS);
      this.#retryTimer = setTimeout(() => void this.#connect(), delay);
      this.#retryTimer.unref();
    }
  }

  async #watch(nc: NatsConnection): Promise<void> {
    void (async () => {
      for await (const status of nc.status()) {
        switch (status.type) {
          case 'disconnect':
            this.health.down(`disconnected from ${status.server}`);
            break;
          case 'reconnect':
            // A restarted server may have lost a memory stream: check the subjects again.
            this.#ensured.clear();
            this.health.up();
            break;
          case 'error':
            this.health.noteError(errorMessage(status.error));
            break;
          default:
            break;
        }
      }
    })().catch(() => undefined);
    const closedWith = await nc.closed();
    if (this.health.isClosed) return;
    // The client gave up (it should not, with unlimited reconnects): start over.
    this.#connection = undefined;
    this.health.down(closedWith ? errorMessage(closedWith) : 'connection closed');
    void this.#connect();
  }

  async publish(msg: PublishMessage): Promise<void> {
    await this.health.waitUp(this.config.connectMs);
    const connection = this.#connection;
    if (connection === undefined) throw new Error(`${this.health.label}: not connected`);
    const { body, contentType } = encodeMessage(msg, this.name);
    const hdrs = headers();
    hdrs.set('Content-Type', contentType);
    try {
      await withTimeout(this.#ensureStream(connection.nc, msg.topic), this.config.operationMs, 'ensuring the stream');
      await connection.js.publish(msg.topic, body, { msgID: msg.id, timeout: this.config.operationMs, headers: hdrs });
    } catch (err) {
      this.#ensured.delete(msg.topic);
      // Nobody answered the publish: the client reports this as "no responders" or (v3) as
      // "jetstream is not enabled". On a JetStream server it means no stream has the subject.
      const detail = /no responders|jetstream is not enabled/i.test(errorMessage(err))
        ? `no JetStream stream captures subject "${msg.topic}", or the server runs without JetStream (create a stream, or set metadata streamName to have Duetime create it)`
        : errorMessage(err);
      throw this.failed(`publish to "${msg.topic}"`, err, 'note', detail);
    }
  }

  #ensureStream(nc: NatsConnection, subject: string): Promise<void> {
    const streamName = this.config.streamName;
    if (streamName === undefined || this.#ensured.has(subject)) return Promise.resolve();
    const run = this.#ensureQueue.then(async () => {
      if (this.#ensured.has(subject)) return;
      const jsm = await jetstreamManager(nc, { timeout: this.config.operationMs, checkAPI: false });
      try {
        const info = await jsm.streams.info(streamName);
        const subjects = info.config.subjects ?? [];
        if (!subjects.includes(subject)) await jsm.streams.update(streamName, { subjects: [...subjects, subject] });
      } catch (err) {
        if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.StreamNotFound) throw err;
        await jsm.streams.add({ name: streamName, subjects: [subject] });
      }
      this.#ensured.add(subject);
    });
    // A failure must not wedge the queue for the next caller.
    this.#ensureQueue = run.catch(() => undefined);
    return run;
  }

  protected async release(): Promise<void> {
    clearTimeout(this.#retryTimer);
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection) await withTimeout(connection.nc.close(), this.config.operationMs, 'closing the NATS connection').catch(() => undefined);
  }
}
