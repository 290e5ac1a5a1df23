// Dapr's Job messages <-> the JSON body JobsService.schedule takes and the JobView it returns.
// The runtime Job and the scheduler Job carry the same fields (the runtime one adds the name);
// see docs/grpc.md for what has no field in Dapr's messages (target, catchUp, exponential).

import { InvalidRequestError } from '../../core/errors.js';
import { isObject, parseFailurePolicy } from '../../core/model/failure-policy.js';
import type { Logger } from 'pino';
import { DEFAULT_DATA_LIMITS, type DataLimits } from '../../core/model/job-data.js';
import type { RawPayload } from '../../core/model/job.js';
import type { JobView } from '../../app/job-view.js';
import type { FailurePolicyMessage, JobFieldsMessage } from '@duetime/sdk/protocol';
import { anyFromPayload, payloadFromAny, UnencodableDataError } from './payload.js';
import { durationToGo, msToDuration } from './proto-duration.js';

export interface ScheduleArguments {
  body: Record<string, unknown>;
  rawData?: RawPayload;
}

/**
 * A Job message as the body of `POST /v1.0/jobs/{name}`, plus a raw payload if it has one. The
 * service checks the data against `limits`; here they only name the depth limit when a Value is
 * too deep even to decode.
 */
export function jobToScheduleArguments(job: JobFieldsMessage | null | undefined, overwrite: boolean, limits: DataLimits = DEFAULT_DATA_LIMITS): ScheduleArguments {
  if (!job) throw new InvalidRequestError('ERR_MALFORMED_REQUEST', 'the request has no job; set the job field', 'job');
  const body: Record<string, unknown> = { overwrite };
  if (job.schedule !== undefined) body.schedule = job.schedule;
  if (job.dueTime !== undefined) body.dueTime = job.dueTime;
  if (job.repeats !== undefined) body.repeats = job.repeats;
  if (job.ttl !== undefined) body.ttl = job.ttl;
  const policy = failurePolicyToJson(job.failurePolicy);
  if (policy !== undefined) body.failurePolicy = policy;
  const { data, rawData } = payloadFromAny(job.data, limits.maxDepth);
  if (data !== undefined) body.data = data;
  return { body, ...(rawData ? { rawData } : {}) };
}

/** A job as Dapr's Job fields (without the name). */
export function jobViewToFields(view: JobView): JobFieldsMessage {
  const data = anyFromPayload(view);
  const policy = failurePolicyToProto(view.failurePolicy);
  return {
    ...(view.schedule !== undefined ? { schedule: view.schedule } : {}),
    ...(view.repeats !== undefined ? { repeats: view.repeats } : {}),
    ...(view.dueTime !== undefined ? { dueTime: view.dueTime } : {}),
    ...(view.ttl !== undefined ? { ttl: view.ttl } : {}),
    ...(data ? { data } : {}),
    ...(policy ? { failurePolicy: policy } : {}),
  };
}

/**
 * Each job mapped to its message, leaving out (and logging) a job whose data cannot be encoded,
 * stored before the depth limit: one such job must not fail the whole list.
 */
export function mapEncodable<I extends { name: string } | { job: JobView }, T>(items: readonly I[], map: (item: I) => T, logger: Logger): T[] {
  const messages: T[] = [];
  for (const item of items) {
    try {
      messages.push(map(item));
    } catch (error) {
      if (!(error instanceof UnencodableDataError)) throw error;
      const name = 'job' in item ? item.job.name : item.name;
      logger.warn({ job: name }, 'job left out of a gRPC list: its data is nested too deep to encode; delete it or read it over HTTP');
    }
  }
  return messages;
}

function failurePolicyToJson(policy: FailurePolicyMessage | null | undefined): unknown {
  if (!policy) return undefined;
  const kind = policy.policy ?? (policy.drop ? 'drop' : policy.constant ? 'constant' : undefined);
  if (kind === 'drop') return { drop: {} };
  if (kind === 'constant') {
    const constant = policy.constant ?? {};
    return {
      constant: {
        ...(constant.interval ? { interval: durationToGo(constant.interval, 'failurePolicy.constant.interval') } : {}),
        ...(constant.maxRetries !== undefined ? { maxRetries: constant.maxRetries } : {}),
      },
    };
  }
  return undefined; // an empty JobFailurePolicy: the default policy
}

/** The stored policy as Dapr's message; the exponential extension has none (left absent). */
function failurePolicyToProto(source: unknown): FailurePolicyMessage | undefined {
  if (!isObject(source)) return undefined;
  const policy = parseFailurePolicy(source);
  if (policy.kind === 'drop') return { drop: {} };
  if (policy.kind === 'constant') {
    return { constant: { interval: msToDuration(policy.intervalMs), ...(policy.maxRetries !== undefined ? { maxRetries: policy.maxRetries } : {}) } };
  }
  return undefined;
}
