// Dapr's publish API (POST /v1.0/publish/{pubsub}/{topic}) with Duetime's delayed publish: with
// metadata scheduledSendTime (RFC3339) or delay (a duration) the message becomes a one-shot job
// of the calling app named `publish-{uuid}`, with a pubsub target, so it is stored durably and
// published at that time under the default failure policy; without them it is published now.

import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { InvalidRequestError, UnavailableError } from '../../core/errors.js';
import { parseIntervalMs } from '../../core/schedule/index.js';
import type { Caller } from '../caller-identity.js';
import type { JobsService, ScheduleContext } from '../jobs-service.js';
import type { ComponentDirectory } from './component-directory.js';

export const DELAYED_PUBLISH_PREFIX = 'publish-';
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export interface PublishResult {
  /** The job that will publish later, for a delayed publish. */
  jobName?: string;
  /** When the delayed publish is due (ms). */
  dueAt?: number;
}

export class PublishService {
  constructor(
    private readonly components: ComponentDirectory,
    private readonly jobs: JobsService,
    private readonly clock: Clock,
  ) {}

  /**
   * `metadata`: the request's `metadata.*` query parameters without their prefix. `context.trace`:
   * the caller's trace context, on the CloudEvent now, or kept with the delayed publish's job.
   */
  async publish(caller: Caller, pubsubName: string, topic: string, data: unknown, metadata: Record<string, string>, context: ScheduleContext = {}): Promise<PublishResult> {
    if (pubsubName.trim() === '') throw new InvalidRequestError('ERR_PUBSUB_EMPTY', 'the pub/sub name is empty: POST /v1.0/publish/{pubsub}/{topic}', 'pubsubname');
    if (topic.trim() === '') throw new InvalidRequestError('ERR_TOPIC_EMPTY', `the topic is empty: POST /v1.0/publish/${pubsubName}/{topic}`, 'topic');
    const publisher = this.components.pubsub(pubsubName, caller.appId, { code: 'ERR_PUBSUB_NOT_FOUND', field: 'pubsubname' });
    const { scheduledSendTime, delay, ...passOn } = metadata;
    const dueAt = this.dueAt(scheduledSendTime, delay);
    if (dueAt === undefined) {
      try {
        const { trace } = context;
        await publisher.publish({
          topic,
          data,
          metadata: passOn,
          id: randomUUID(),
          source: caller.appId,
          ...(trace ? { traceparent: trace.traceparent } : {}),
          ...(trace?.tracestate !== undefined ? { tracestate: trace.tracestate } : {}),
        });
      } catch (error) {
        throw new UnavailableError('ERR_PUBSUB_PUBLISH_MESSAGE', `error publishing to pub/sub "${pubsubName}" topic "${topic}": ${error instanceof Error ? error.message : String(error)}`);
      }
      return {};
    }
    const jobName = DELAYED_PUBLISH_PREFIX + randomUUID();
    const target = { pubsub: { name: pubsubName, topic, ...(Object.keys(passOn).length > 0 ? { metadata: passOn } : {}) } };
    await this.jobs.schedule(
      { namespace: caller.namespace, appId: caller.appId, name: jobName },
      { dueTime: new Date(dueAt).toISOString(), target, ...(data !== undefined ? { data } : {}) },
      undefined,
      context,
    );
    return { jobName, dueAt };
  }

  private dueAt(scheduledSendTime: string | undefined, delay: string | undefined): number | undefined {
    if (scheduledSendTime !== undefined && delay !== undefined) {
      throw new InvalidRequestError('ERR_PUBSUB_REQUEST_METADATA', 'send either metadata.scheduledSendTime or metadata.delay, not both', 'metadata.delay');
    }
    if (scheduledSendTime !== undefined) {
      const at = RFC3339.test(scheduledSendTime.trim()) ? Date.parse(scheduledSendTime.trim()) : NaN;
      if (Number.isNaN(at)) {
        throw new InvalidRequestError(
          'ERR_PUBSUB_REQUEST_METADATA',
          `metadata.scheduledSendTime "${scheduledSendTime}" is not an RFC3339 time such as 2026-01-02T15:04:05Z`,
          'metadata.scheduledSendTime',
        );
      }
      return at;
    }
    if (delay !== undefined) {
      let ms: number;
      try {
        ms = parseIntervalMs(delay, 'metadata.delay');
      } catch (error) {
        throw new InvalidRequestError('ERR_PUBSUB_REQUEST_METADATA', (error as Error).message, 'metadata.delay');
      }
      return this.clock.now() + ms;
    }
    return undefined;
  }
}
