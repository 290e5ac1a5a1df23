// A definition decoded from a full JSON copy (the etcd store keeps every field) holds its own
// default failure policy, policy source and app target. These hand it the shared, frozen objects
// the request parser gives every new job instead: three objects less for each job a replica
// holds in memory (docs/sizing.md), each of which a major collection marks.

import { DEFAULT_FAILURE_POLICY, DEFAULT_FAILURE_POLICY_SOURCE, isObject } from './failure-policy.js';
import type { FailurePolicy, JobDefinition } from './job.js';
import { APP_TARGET } from './target.js';

/** The definition, its parts that equal the defaults replaced by the shared objects (in place). */
export function withSharedDefaults(def: JobDefinition): JobDefinition {
  if (def.failurePolicy !== DEFAULT_FAILURE_POLICY && isDefaultPolicy(def.failurePolicy) && isDefaultPolicySource(def.failurePolicySource)) {
    def.failurePolicy = DEFAULT_FAILURE_POLICY;
    def.failurePolicySource = DEFAULT_FAILURE_POLICY_SOURCE;
  }
  if (def.target !== APP_TARGET && def.target.kind === 'app' && Object.keys(def.target).length === 1) def.target = APP_TARGET;
  return def;
}

// Field by field rather than by JSON text (a replica decodes every job it loads or watches): the
// values are DEFAULT_FAILURE_POLICY's and its source's, which shared-defaults.test.ts checks.
function isDefaultPolicy(policy: FailurePolicy): boolean {
  return policy.kind === 'constant' && policy.intervalMs === 1000 && policy.maxRetries === 3 && Object.keys(policy).length === 3;
}

function isDefaultPolicySource(source: unknown): boolean {
  if (!isObject(source) || Object.keys(source).length !== 1 || !isObject(source.constant)) return false;
  const { constant } = source;
  return constant.interval === '1s' && constant.maxRetries === 3 && Object.keys(constant).length === 2;
}
