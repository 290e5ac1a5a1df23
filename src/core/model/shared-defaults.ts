// What counts as a definition's default failure policy and app target, one rule for both stores:
// the SQLite store leaves them out of a row, and a definition decoded from a full JSON copy (the
// etcd store keeps every field) is handed the shared, frozen objects the request parser gives
// every new job instead of its copies: three objects less for each job a replica holds in
// memory (docs/sizing.md), each of which a major collection marks.

import { DEFAULT_FAILURE_POLICY, DEFAULT_FAILURE_POLICY_SOURCE, isObject } from './failure-policy.js';
import type { FailurePolicy, JobDefinition } from './job.js';
import { APP_TARGET, type Target } from './target.js';

/** The definition, its parts that equal the defaults replaced by the shared objects (in place). */
export function withSharedDefaults(def: JobDefinition): JobDefinition {
  if (def.failurePolicy !== DEFAULT_FAILURE_POLICY && hasDefaultPolicy(def)) {
    def.failurePolicy = DEFAULT_FAILURE_POLICY;
    def.failurePolicySource = DEFAULT_FAILURE_POLICY_SOURCE;
  }
  if (def.target !== APP_TARGET && isAppTarget(def.target)) def.target = APP_TARGET;
  return def;
}

/**
 * Whether the policy and the source it was written with are both the default (a policy equal to
 * it but written otherwise, "1000ms" say, is not: GET shows the source back). The shared objects
 * by identity first (the request parser's), then field by field rather than by JSON text: the
 * stores ask for every job they write or read.
 */
export function hasDefaultPolicy(def: Pick<JobDefinition, 'failurePolicy' | 'failurePolicySource'>): boolean {
  return isDefaultPolicy(def.failurePolicy) && isDefaultPolicySource(def.failurePolicySource);
}

/** Whether the target is the job's own app with nothing else to it. */
export function isAppTarget(target: Target): boolean {
  return target === APP_TARGET || (target.kind === 'app' && Object.keys(target).length === 1);
}

const DEFAULT_CONSTANT = DEFAULT_FAILURE_POLICY as Extract<FailurePolicy, { kind: 'constant' }>;

function isDefaultPolicy(policy: FailurePolicy): boolean {
  if (policy === DEFAULT_FAILURE_POLICY) return true;
  return policy.kind === 'constant' && policy.intervalMs === DEFAULT_CONSTANT.intervalMs && policy.maxRetries === DEFAULT_CONSTANT.maxRetries && Object.keys(policy).length === 3;
}

function isDefaultPolicySource(source: unknown): boolean {
  if (source === DEFAULT_FAILURE_POLICY_SOURCE) return true;
  if (!isObject(source) || Object.keys(source).length !== 1 || !isObject(source.constant)) return false;
  const { constant } = source;
  const want = DEFAULT_FAILURE_POLICY_SOURCE.constant;
  return constant.interval === want.interval && constant.maxRetries === want.maxRetries && Object.keys(constant).length === 2;
}
