// The JavaScript shapes of the messages our handlers read and write, as proto-loader renders them
// with LOADER_OPTIONS (proto-loader.ts): camelCase fields except inside Any (`type_url`), 64-bit
// integers as decimal strings, enums as names, fields with presence absent when unset, unset
// messages null. Only what the handlers use is declared.

export interface AnyMessage {
  type_url: string;
  value: Buffer | Uint8Array;
}

export interface DurationMessage {
  seconds: string | number;
  nanos: number;
}

export interface FailurePolicyMessage {
  drop?: Record<string, never> | null;
  constant?: { interval?: DurationMessage | null; maxRetries?: number } | null;
  policy?: 'drop' | 'constant';
}

/** The fields the runtime Job and the scheduler Job share (the scheduler's has no name). */
export interface JobFieldsMessage {
  schedule?: string;
  repeats?: number;
  dueTime?: string;
  ttl?: string;
  data?: AnyMessage | null;
  failurePolicy?: FailurePolicyMessage | null;
}

export interface RuntimeJobMessage extends JobFieldsMessage {
  name: string;
}

export interface TargetMessage {
  job?: Record<string, never> | null;
  actor?: { id: string; type: string } | null;
  type?: 'job' | 'actor';
}

export interface JobMetadataMessage {
  appId: string;
  namespace: string;
  target?: TargetMessage | null;
}

export type WatchJobsRequestMessage =
  | { watchJobRequestType: 'initial'; initial: { appId: string; namespace: string; actorTypes: string[]; acceptJobTypes: string[] } }
  | { watchJobRequestType: 'result'; result: { id: string; status: string } }
  | { watchJobRequestType?: undefined };

export interface WatchJobsResponseMessage {
  name: string;
  id: string;
  data?: AnyMessage | null;
  metadata: JobMetadataMessage;
  /** Duetime's extension (field 1000): the trigger's W3C trace context, keys traceparent and tracestate. */
  traceContext?: Record<string, string>;
}

export const JOB_TARGET_TYPE_JOB = 'JOB_TARGET_TYPE_JOB';
export const JOB_TARGET_TYPE_ACTOR_REMINDER = 'JOB_TARGET_TYPE_ACTOR_REMINDER';
