// JobSpec (what DuetimeClient.schedule takes) <-> Dapr's runtime Job message, for
// DuetimeGrpcClient. The server reads the message as it reads the HTTP body
// (src/api/grpc/job-mapping.ts); what Dapr's message has no field for is refused here, never
// dropped, and values that protobuf would silently change (a negative uint32, a number where a
// string goes) are refused with the error the HTTP API would answer.

import { decodeValue, encodeValue, VALUE_TYPE_URL } from './protocol/protobuf-value.js';
import { DuetimeApiError } from './api-error.js';
import type { AnyMessage, DurationMessage, FailurePolicyMessage, RuntimeJobMessage } from './protocol/messages.js';
import { durationToGo, nsToDuration, parseDurationNs } from './proto-duration.js';
import type { FailurePolicy, JobFields, JobSpec } from './types.js';

/** The failure policies Dapr's message can carry: drop and constant. */
export type GrpcFailurePolicy = Exclude<FailurePolicy, { exponential: unknown }>;

/** A job as the gRPC runtime API returns it: Dapr's fields only (no status, target or catchUp). */
export interface GrpcJob extends JobFields {
  /**
   * The job's policy, the interval as a Go duration ("30s" for "PT30S"). Absent when the job
   * has the exponential extension policy, which Dapr's message cannot carry: read it over HTTP.
   */
  failurePolicy?: GrpcFailurePolicy;
}

/** dapr.proto.runtime.v1.Job: fields with presence are absent when unset. */
export type JobMessage = RuntimeJobMessage;

const CODE = 'DAPR_SCHEDULER_SCHEDULE_JOB';
const SPEC_FIELDS = ['schedule', 'dueTime', 'repeats', 'ttl', 'data', 'overwrite', 'failurePolicy', 'target', 'catchUp'];
const UINT32_MAX = 2 ** 32 - 1;

/** The ScheduleJobRequest for `schedule(name, spec)`. */
export function toScheduleRequest(name: string, spec: JobSpec): { job: JobMessage; overwrite: boolean } {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw invalid('ERR_MALFORMED_REQUEST', 'the job must be an object such as { schedule: "@every 10s", data: {} }');
  }
  const fields = spec as Record<string, unknown>;
  for (const [field, value] of Object.entries(fields)) {
    if (value !== undefined && !SPEC_FIELDS.includes(field)) {
      throw invalid(CODE, `"${field}" is not a job field; known fields: ${SPEC_FIELDS.join(', ')}`, field);
    }
  }
  refuseExtensions(fields);
  const job: JobMessage = { name };
  for (const field of ['schedule', 'dueTime', 'ttl'] as const) {
    const value = fields[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw invalid(CODE, `${field} must be a string`, field);
    job[field] = value;
  }
  if (fields.repeats !== undefined && fields.repeats !== null) {
    if (!isUint32(fields.repeats) || fields.repeats < 1) {
      throw invalid(CODE, 'repeats must be a whole number >= 1 (leave it out to repeat without limit)', 'repeats');
    }
    job.repeats = fields.repeats;
  }
  const data = toValueAny(fields.data);
  if (data) job.data = data;
  const policy = toFailurePolicyMessage(fields.failurePolicy);
  if (policy) job.failurePolicy = policy;
  const overwrite = fields.overwrite ?? false;
  if (typeof overwrite !== 'boolean') throw invalid(CODE, 'overwrite must be true or false', 'overwrite');
  return { job, overwrite };
}

/** A Job message as the SDK shows it. */
export function fromJobMessage(message: JobMessage): GrpcJob {
  const job: GrpcJob = { name: message.name };
  if (message.schedule !== undefined) job.schedule = message.schedule;
  if (message.dueTime !== undefined) job.dueTime = message.dueTime;
  if (message.repeats !== undefined) job.repeats = message.repeats;
  if (message.ttl !== undefined) job.ttl = message.ttl;
  const any = message.data;
  const typeUrl = any?.type_url ?? '';
  const value = Buffer.from(any?.value ?? []);
  if (typeUrl === VALUE_TYPE_URL) job.data = decodeValue(value);
  else if (typeUrl !== '' || value.length > 0) job.rawData = { typeUrl, value: value.toString('base64') };
  const policy = fromFailurePolicyMessage(message.failurePolicy);
  if (policy) job.failurePolicy = policy;
  return job;
}

/**
 * target, catchUp: Duetime extensions with no field in Dapr's Job message. Their defaults
 * (the owning app, catch up on every tick) are what a gRPC job gets anyway, so they pass.
 */
function refuseExtensions(fields: Record<string, unknown>): void {
  const target = fields.target;
  const appTarget = typeof target === 'object' && target !== null && Object.keys(target).length === 1 && 'app' in target;
  if (target !== undefined && target !== null && !appTarget) throw unsupported('target');
  if (fields.catchUp !== undefined && fields.catchUp !== null && fields.catchUp !== 'all') throw unsupported('catchUp');
}

/** JSON data as Any{google.protobuf.Value}, as the server decodes it. */
function toValueAny(data: unknown): AnyMessage | undefined {
  // Through JSON text first, so that the value is exactly what DuetimeClient would send
  // (toJSON, undefined members dropped, NaN as null); undefined when there is nothing to send.
  const json = data === undefined ? undefined : (JSON.stringify(data) as string | undefined);
  if (json === undefined) return undefined;
  return { type_url: VALUE_TYPE_URL, value: encodeValue(JSON.parse(json)) };
}

function toFailurePolicyMessage(policy: unknown): FailurePolicyMessage | undefined {
  if (policy === undefined || policy === null) return undefined;
  const shape = 'failurePolicy must be { drop: {} } or { constant: { interval: "1s", maxRetries: 3 } }';
  if (typeof policy !== 'object' || Array.isArray(policy)) throw invalid(CODE, shape, 'failurePolicy');
  const kinds = Object.keys(policy);
  if (kinds.length === 1 && kinds[0] === 'exponential') throw unsupported('failurePolicy.exponential');
  if (kinds.length !== 1 || (kinds[0] !== 'drop' && kinds[0] !== 'constant')) throw invalid(CODE, shape, 'failurePolicy');
  if (kinds[0] === 'drop') return { drop: {} };
  const body = (policy as { constant: unknown }).constant ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid(CODE, 'failurePolicy.constant must be an object', 'failurePolicy');
  const constant: NonNullable<FailurePolicyMessage['constant']> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (value === undefined || value === null) continue;
    if (key === 'interval') constant.interval = toDuration(value, 'failurePolicy.constant.interval');
    else if (key === 'maxRetries' || key === 'max_retries') {
      // max_retries: Dapr's spelling, which the HTTP API accepts too (and a job read back keeps).
      if (!isUint32(value)) throw invalid(CODE, `failurePolicy.constant.${key} must be a whole number >= 0 (leave it out to retry forever)`, 'failurePolicy');
      constant.maxRetries = value;
    } else throw invalid(CODE, `failurePolicy.constant.${key} is not a known field; known: interval, maxRetries (or max_retries)`, 'failurePolicy');
  }
  return { constant };
}

function fromFailurePolicyMessage(message: FailurePolicyMessage | null | undefined): GrpcFailurePolicy | undefined {
  if (!message) return undefined;
  const kind = message.policy ?? (message.drop ? 'drop' : message.constant ? 'constant' : undefined);
  if (kind === 'drop') return { drop: {} };
  if (kind !== 'constant') return undefined;
  const constant = message.constant ?? {};
  return {
    constant: {
      ...(constant.interval ? { interval: durationToGo(constant.interval) } : {}),
      ...(constant.maxRetries !== undefined ? { maxRetries: constant.maxRetries } : {}),
    },
  };
}

function toDuration(value: unknown, field: string): DurationMessage {
  const ns = typeof value === 'string' ? parseDurationNs(value) : undefined;
  if (ns === undefined) {
    throw invalid(CODE, `${field} ${JSON.stringify(value)} is not a Go duration (e.g. 1s, 1m30s, 1.5s) or an ISO 8601 duration without years and months (e.g. PT1M, P1D)`, field);
  }
  return nsToDuration(ns);
}

function isUint32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= UINT32_MAX;
}

/** What the HTTP API would answer for the same input: 400 with the field named. */
function invalid(errorCode: string, message: string, field?: string): DuetimeApiError {
  const details: unknown[] = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: errorCode, domain: 'dapr.io', metadata: null }];
  if (field) details.push({ '@type': 'type.googleapis.com/google.rpc.BadRequest', field_violations: [{ field, description: message }] });
  return new DuetimeApiError(400, errorCode, message, details);
}

/** A usage error, not a server answer: the field exists, only not over this transport. */
function unsupported(field: string): Error {
  return new Error(
    `${field} is a Duetime extension with no field in Dapr's gRPC Job message, so DuetimeGrpcClient cannot send it; ` +
      'schedule this job with DuetimeClient (HTTP) instead',
  );
}
