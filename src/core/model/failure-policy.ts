import { InvalidRequestError } from '../errors.js';
import { parseIntervalMs } from '../schedule/index.js';
import type { FailurePolicy } from './job.js';
import { checkDurationText, checkRetryInterval, type RequestLimits } from './request-limits.js';

/**
 * Dapr's default when a job has no policy: constant, every 1 s, 3 retries (4 attempts a tick).
 * One object shared by every job that has it (the request parser and the stores hand out this
 * one, not copies: objects per job held in memory are what a major collection marks), so frozen.
 */
export const DEFAULT_FAILURE_POLICY: FailurePolicy = Object.freeze({ kind: 'constant', intervalMs: 1000, maxRetries: 3 });
export const DEFAULT_FAILURE_POLICY_SOURCE = Object.freeze({ constant: Object.freeze({ interval: '1s', maxRetries: 3 }) });

const CODE = 'DAPR_SCHEDULER_SCHEDULE_JOB';

/**
 * Parses `failurePolicy` as sent: {"drop":{}} | {"constant":{...}} | {"exponential":{...}}.
 * `limits` (when a job is written, never when a stored one is read): interval lengths before
 * parsing, and retries no sooner than the least interval.
 */
export function parseFailurePolicy(raw: unknown, limits?: RequestLimits): FailurePolicy {
  const policy = parsePolicy(raw, limits);
  if (limits) checkRetryInterval(policy, limits, CODE);
  return policy;
}

function parsePolicy(raw: unknown, limits: RequestLimits | undefined): FailurePolicy {
  const interval = (value: unknown, field: string): number => {
    if (typeof value === 'string' && limits) checkDurationText(value, limits, field, CODE);
    return readInterval(value, field);
  };
  if (!isObject(raw)) throw invalid('failurePolicy must be an object such as {"constant":{"interval":"1s","maxRetries":3}} or {"drop":{}}');
  const kinds = Object.keys(raw);
  if (kinds.length !== 1) throw invalid(`failurePolicy takes exactly one of drop, constant, exponential; got ${kinds.length ? kinds.join(', ') : 'none'}`);
  const kind = kinds[0]!;
  const body = raw[kind] ?? {};
  if (!isObject(body)) throw invalid(`failurePolicy.${kind} must be an object`);
  switch (kind) {
    case 'drop':
      return { kind: 'drop' };
    case 'constant': {
      allowOnly(body, kind, ['interval', 'maxRetries', 'max_retries']);
      const intervalMs = body.interval === undefined ? 1000 : interval(body.interval, 'failurePolicy.constant.interval');
      return { kind: 'constant', intervalMs, ...retries(body, kind) };
    }
    case 'exponential': {
      allowOnly(body, kind, ['initialInterval', 'initial_interval', 'maxInterval', 'max_interval', 'multiplier', 'maxRetries', 'max_retries', 'jitter']);
      const initialIntervalMs = interval(body.initialInterval ?? body.initial_interval ?? '1s', 'failurePolicy.exponential.initialInterval');
      const maxIntervalMs = interval(body.maxInterval ?? body.max_interval ?? '1m', 'failurePolicy.exponential.maxInterval');
      if (maxIntervalMs < initialIntervalMs) throw invalid('failurePolicy.exponential.maxInterval is shorter than initialInterval; make it at least as long');
      const multiplier = body.multiplier ?? 2;
      if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 1) {
        throw invalid('failurePolicy.exponential.multiplier must be a number >= 1 (e.g. 2)');
      }
      const jitter = body.jitter ?? 0;
      if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) throw invalid('failurePolicy.exponential.jitter must be a number from 0 to 1');
      return { kind: 'exponential', initialIntervalMs, maxIntervalMs, multiplier, jitter, ...retries(body, kind) };
    }
    default:
      throw invalid(`failurePolicy "${kind}" is unknown; use drop, constant or exponential`);
  }
}

function retries(body: Record<string, unknown>, kind: string): { maxRetries?: number } {
  const value = body.maxRetries ?? body.max_retries;
  if (value === undefined || value === null) return {};
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw invalid(`failurePolicy.${kind}.maxRetries must be a whole number >= 0 (leave it out to retry forever)`);
  }
  return { maxRetries: value };
}

function readInterval(value: unknown, field: string): number {
  if (typeof value !== 'string') throw invalid(`${field} must be a duration string such as "1s" or "PT1S"`, field);
  return parseIntervalMs(value, field);
}

function allowOnly(body: Record<string, unknown>, kind: string, allowed: string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw invalid(`failurePolicy.${kind}.${key} is not a known field; known: ${allowed.join(', ')}`);
  }
}

function invalid(message: string, field = 'failurePolicy'): InvalidRequestError {
  return new InvalidRequestError(CODE, message, field);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
