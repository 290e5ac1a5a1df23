/*
 * What the log says about triggers, from the engine's events: a delivered attempt at debug, a
 * failed attempt at warn with its next attempt's time, a tick given up at error. Staging is told
 * per app and per episode, never per trigger (a million staged triggers make one line):
 *
 *   no episode --first trigger of the app staged--> open (warn: "no endpoint for app X ...")
 *   open --more staged: counted, no line--> open
 *   open --a released trigger of the app is attempted, not staged again--> no episode
 *        (info: "... K staged triggers are being released")
 *
 * The count is of the triggers this process saw staged in the episode; those staged before a
 * restart go out with the release but are not counted.
 */

import type { EngineEvents, TypedEmitter } from '../core/events.js';
import { appKeyString } from '../core/model/job-key.js';
import type { JobKey } from '../core/model/job.js';

/** The part of a pino logger this uses: a fields object, then the message. */
export interface TriggerLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  /** pino's level check; a logger without it is asked for every line. */
  isLevelEnabled?(level: string): boolean;
}

/** Logs what happens to triggers; returns a function that stops it. */
export function logTriggers(events: TypedEmitter<EngineEvents>, log: TriggerLogger): () => void {
  /** Open staging episodes per app: how many triggers were staged in each. */
  const episodes = new Map<string, number>();

  const offAttempted = events.on('attempted', ({ trigger, outcome, detail, lateMs, retryAt, released }) => {
    const { key } = trigger;
    if (released && outcome !== 'staged') {
      const appKey = appKeyString(key.namespace, key.appId);
      const waiting = episodes.get(appKey);
      if (waiting !== undefined) {
        episodes.delete(appKey);
        log.info(
          { namespace: key.namespace, appId: key.appId, waiting },
          `app ${key.appId} in namespace ${key.namespace} has a consumer again: ${waiting} staged ${plural(waiting)} ${waiting === 1 ? 'is' : 'are'} being released`,
        );
      }
    }
    switch (outcome) {
      case 'success':
        // Asked first: at info, building the fields and the message was ~5% of a burst's CPU per
        // delivery for a line pino then drops (the spread of fieldsOf alone takes V8's slow path).
        if (log.isLevelEnabled && !log.isLevelEnabled('debug')) return;
        log.debug({ namespace: key.namespace, appId: key.appId, job: key.name, attempt: trigger.attempt, manual: trigger.manual, lateMs }, `trigger of job "${key.name}" delivered`);
        return;
      case 'failed': {
        const next = retryAt !== undefined ? new Date(retryAt).toISOString() : undefined;
        log.warn(
          { ...fieldsOf(key), attempt: trigger.attempt, manual: trigger.manual, reason: detail, ...(next ? { retryAt: next } : {}) },
          `trigger of job "${key.name}" failed (attempt ${trigger.attempt}): ${detail ?? 'no reason given'}${next ? `; next attempt at ${next}` : ''}`,
        );
        return;
      }
      case 'dropped':
        log.error(
          { ...fieldsOf(key), attempt: trigger.attempt, manual: trigger.manual, reason: detail, scheduledAt: new Date(trigger.scheduledAt).toISOString() },
          `trigger of job "${key.name}" given up after attempt ${trigger.attempt}: ${detail ?? 'no reason given'}`,
        );
        return;
      case 'staged':
        return; // told per app, by the staged event below
    }
  });

  const offStaged = events.on('staged', ({ key }) => {
    const appKey = appKeyString(key.namespace, key.appId);
    const waiting = episodes.get(appKey);
    if (waiting !== undefined) {
      episodes.set(appKey, waiting + 1);
      return;
    }
    episodes.set(appKey, 1);
    log.warn(
      { namespace: key.namespace, appId: key.appId, waiting: 1 },
      `no endpoint for app ${key.appId} in namespace ${key.namespace}: 1 trigger waiting (staged until the app registers or a consumer connects)`,
    );
  });

  return () => {
    offAttempted();
    offStaged();
  };
}

function fieldsOf(key: JobKey): { namespace: string; appId: string; job: string } {
  return { namespace: key.namespace, appId: key.appId, job: key.name };
}

function plural(n: number): string {
  return n === 1 ? 'trigger' : 'triggers';
}
