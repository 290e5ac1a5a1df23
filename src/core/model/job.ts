// The job as the scheduler keeps it: a definition (what the user sent, normalised) and a
// progress record (how far it has got). The two live apart so that progress can be committed
// on its own, guarded by the definition's uid.

import type { Target } from './target.js';
import type { TraceContext } from './trace-context.js';

export interface JobKey {
  namespace: string;
  appId: string;
  name: string;
}

export type CatchUp = 'all' | 'one' | 'none';

export type FailurePolicy =
  | { kind: 'drop' }
  | { kind: 'constant'; intervalMs: number; maxRetries?: number }
  | {
      kind: 'exponential';
      initialIntervalMs: number;
      maxIntervalMs: number;
      multiplier: number;
      maxRetries?: number;
      /** 0..1: the interval is drawn from [interval*(1-jitter), interval]. */
      jitter: number;
    };

/**
 * A payload that is not JSON: a google.protobuf.Any from a gRPC client whose type is not
 * google.protobuf.Value, kept byte for byte (docs/grpc.md, "Payloads").
 */
export interface RawPayload {
  /** The Any's type_url, possibly empty. */
  typeUrl: string;
  /** The Any's value bytes, base64, so that stores keep serialising plain JSON. */
  value: string;
}

/**
 * Where a job's payload lives when a state store holds it (a component with metadata
 * jobStateStore "true"): the scheduler's store keeps only this reference (app/payloads).
 */
export interface DataRef {
  /** The state store component's name. */
  store: string;
  /** The key under which the payload is saved. */
  key: string;
  /** The payload is a RawPayload (gRPC, non-JSON) saved as its JSON object, not JSON data. */
  raw?: boolean;
}

/** Where a trigger goes: a discriminated union on kind (target.ts). */
export type { Target } from './target.js';

export interface JobDefinition {
  key: JobKey;
  /** New on every create or overwrite; progress commits are guarded by it. */
  uid: string;
  createdAt: number;
  /** Exactly as sent (after trimming), for GET. */
  schedule?: string;
  dueTime?: string;
  /** dueTime resolved to an instant at creation. */
  dueAt?: number;
  repeats?: number;
  ttl?: string;
  /** ttl resolved to an instant at creation. */
  expiresAt?: number;
  /** The payload, any JSON value; undefined when none was sent. */
  data?: unknown;
  /** A non-JSON payload (gRPC only); never set together with data. */
  rawData?: RawPayload;
  /** Set instead of data / rawData when a jobStateStore holds the payload. */
  dataRef?: DataRef;
  failurePolicy: FailurePolicy;
  /** The policy as the user wrote it (or the default), for GET. */
  failurePolicySource: unknown;
  target: Target;
  /** The target's spec as the user wrote it, for GET (target.ts targetJson); absent when the server built the target. */
  targetSource?: Record<string, unknown>;
  catchUp: CatchUp;
  /**
   * W3C trace context every delivery continues: the schedule span's when tracing is on, else the
   * caller's traceparent and tracestate as sent; absent when the caller sent none.
   */
  trace?: TraceContext;
}

/**
 * active and paused: the job has ticks to come. completed and failed: it has none (its last tick
 * was delivered, or given up by its failure policy) and what is left is a tombstone: readable
 * (GET, history) until the sweep purges it, never fired, its name free for a new job.
 */
export type JobState = 'active' | 'paused' | 'completed' | 'failed';

/** The states of a job that has finished: a tombstone. */
export type FinishedState = 'completed' | 'failed';

export interface Progress {
  /** Bumped on every progress write; a write must name the revision it read. */
  rev: number;
  /** Finished ticks (delivered, or given up by the failure policy). */
  count: number;
  /** Failed attempts of the current tick. */
  attempts: number;
  /** Scheduled instant of the last finished tick. */
  lastTrigger?: number;
  /** Scheduled instant of the current (next) tick; undefined when the job has no next tick. */
  tickAt?: number;
  /** When the next attempt is due: tickAt, or a retry instant after it. */
  nextAt?: number;
  state: JobState;
  /** A manual trigger (POST .../trigger) waiting to be delivered: the instant it was asked for. */
  manualAt?: number;
  /** Failed attempts of the pending manual trigger. */
  manualAttempts?: number;
  /** When the manual trigger's next attempt is due (manualAt, or a retry instant after it). */
  manualNextAt?: number;
  /**
   * The current trigger found no consumer for its app (no endpoint, no stream, no actor host):
   * it waits in the store's staged index instead of the due index, using no retry, until a
   * consumer appears and the engine releases it. Cleared by the next outcome other than staged.
   */
  staged?: boolean;
  /** When the job finished (state completed or failed): the tombstone's age is counted from here. */
  finishedAt?: number;
}

/** A tombstone: the job has finished and is kept only to be read. */
export function isFinished(progress: Progress): boolean {
  return progress.state === 'completed' || progress.state === 'failed';
}

/** The instant a tombstone is filed under in the stores' finished index; undefined for a live job. */
export function indexedFinishedAt(progress: Progress): number | undefined {
  return isFinished(progress) ? (progress.finishedAt ?? 0) : undefined;
}

export interface JobRecord {
  def: JobDefinition;
  progress: Progress;
}

export type TickOutcome = 'success' | 'failed' | 'dropped' | 'staged';

export interface HistoryEntry {
  /** Scheduled instant of the tick. */
  scheduledAt: number;
  /** When the attempt finished. */
  at: number;
  attempt: number;
  outcome: TickOutcome;
  manual: boolean;
  detail?: string;
}

/**
 * Where a store files a job: in the due index at progressDueAt (refills read it), in the staged
 * index at the same instant (only a release of its app reads it), or in neither.
 */
export function indexedDueAt(progress: Progress): number | undefined {
  return progress.staged ? undefined : progressDueAt(progress);
}

/** The instant a staged job is filed under in the staged index; undefined when not staged. */
export function indexedStagedAt(progress: Progress): number | undefined {
  return progress.staged ? progressDueAt(progress) : undefined;
}

/**
 * The instant a job next needs the engine, which stores index: a pending manual trigger or the
 * next regular attempt, whichever is first. A paused job waits only for a manual trigger.
 */
export function progressDueAt(progress: Progress): number | undefined {
  const regular = progress.state === 'active' ? progress.nextAt : undefined;
  const manual = progress.manualNextAt ?? progress.manualAt;
  if (regular === undefined) return manual;
  if (manual === undefined) return regular;
  return Math.min(regular, manual);
}
