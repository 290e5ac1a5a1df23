// The stream consumer port: apps without an inbound port connect a stream (gRPC WatchJobs) and
// take their triggers over it. The api layer registers each stream here and hands back its
// results; the deliver-stream adapter implements it and delivers to the connected consumers.

import type { Trigger } from '../model/trigger.js';

/**
 * Writes one trigger to the stream under its id; throws when the stream cannot take it, or
 * UnsendableTriggerError when this one trigger cannot be written (the stream is fine). Answers
 * false when the stream's buffer is full (backpressure): the trigger was taken, but no more
 * should be written until the api layer calls ConnectedConsumer.drained().
 */
export interface ConsumerSink {
  send(id: number, trigger: Trigger): boolean | void;
}

/** This trigger cannot be put on the wire (its stored data cannot be encoded): its attempt fails, the stream stays. */
export class UnsendableTriggerError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UnsendableTriggerError';
  }
}

/** What the consumer said about itself in its initial message. */
export interface ConsumerInfo {
  namespace: string;
  appId: string;
  /** Actor types it hosts (their reminders may come to it). */
  actorTypes: string[];
  /** Takes the app's own jobs (JOB_TARGET_TYPE_JOB, or no accept list at all). */
  acceptsJobs: boolean;
  /** Takes actor reminders (JOB_TARGET_TYPE_ACTOR_REMINDER, or no accept list at all). */
  acceptsReminders: boolean;
}

export type ResultStatus = 'SUCCESS' | 'FAILED';

/** One connected stream, as the api layer sees it. */
export interface ConnectedConsumer {
  /** The consumer's answer for a trigger id; false when the id is unknown or already settled. */
  result(id: number, status: ResultStatus): boolean;
  /**
   * The answers of one read, in the order they came: ids[i] answered FAILED when failed[i], else
   * SUCCESS (the first `count` of each). Returns how many ids were unknown or already settled.
   */
  results(ids: readonly number[], failed: readonly boolean[], count: number): number;
  /** The stream ended: triggers still in flight go to another consumer or are staged. */
  close(): void;
  /** The stream's buffer has room again after a send answered false: triggers held back go out. */
  drained(): void;
}

/** Where streams register. */
export interface StreamConsumers {
  connect(info: ConsumerInfo, sink: ConsumerSink): ConnectedConsumer;
  /** The server is stopping: every stream closes; what was in flight is staged (it stays in the store). */
  closeAll(): void;
}
