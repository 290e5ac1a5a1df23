// A definition decoded from a full JSON copy (the etcd store) gets the shared default policy and
// app target back in place of its copies, and keeps anything that differs as it is.

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeDefinition, encodeDefinition } from '../../../src/adapters/store-etcd/records.js';
import { DEFAULT_FAILURE_POLICY, DEFAULT_FAILURE_POLICY_SOURCE } from '../../../src/core/model/failure-policy.js';
import { parseJobRequest } from '../../../src/core/model/job-request.js';
import type { JobDefinition } from '../../../src/core/model/job.js';
import { withSharedDefaults } from '../../../src/core/model/shared-defaults.js';
import { APP_TARGET } from '../../../src/core/model/target.js';

const key = { namespace: 'default', appId: 'app', name: 'j' };

function definition(body: Record<string, unknown>): JobDefinition {
  return parseJobRequest(key, body, Date.now(), randomUUID()).def;
}

/** A deep copy, as JSON.parse of a stored value gives. */
const copied = (def: JobDefinition): JobDefinition => JSON.parse(JSON.stringify(def)) as JobDefinition;

describe('withSharedDefaults', () => {
  it('replaces copies of the default policy, its source and the app target by the shared objects', () => {
    const def = definition({ dueTime: '1h' });
    const shared = withSharedDefaults(copied(def));
    expect(shared.failurePolicy).toBe(DEFAULT_FAILURE_POLICY);
    expect(shared.failurePolicySource).toBe(DEFAULT_FAILURE_POLICY_SOURCE);
    expect(shared.target).toBe(APP_TARGET);
    expect(shared).toEqual(def);
  });

  it('keeps a policy that differs in any field, or that has the default policy with another source, and a target of its own', () => {
    const cases = [
      { failurePolicy: { constant: { interval: '2s', maxRetries: 3 } } },
      { failurePolicy: { constant: { interval: '1s', maxRetries: 4 } } },
      { failurePolicy: { constant: { interval: '1s' } } },
      { failurePolicy: { constant: { interval: '1000ms', maxRetries: 3 } } }, // the default policy, written otherwise
      { failurePolicy: { drop: {} } },
      { target: { pubsub: { name: 'p', topic: 't' } } },
    ];
    for (const body of cases) {
      const def = definition({ dueTime: '1h', ...body });
      const shared = withSharedDefaults(copied(def));
      expect(shared).toEqual(def);
      if ('failurePolicy' in body) {
        expect(shared.failurePolicySource).not.toBe(DEFAULT_FAILURE_POLICY_SOURCE);
        expect(shared.failurePolicySource).toEqual(body.failurePolicy);
      } else {
        expect(shared.target).not.toBe(APP_TARGET);
      }
    }
  });

  it("is what the etcd store's decoding hands out", () => {
    const def = definition({ dueTime: '1h', data: { n: 1 } });
    const decoded = decodeDefinition(encodeDefinition(def));
    expect(decoded.failurePolicy).toBe(DEFAULT_FAILURE_POLICY);
    expect(decoded.target).toBe(APP_TARGET);
    expect(decoded).toEqual(def);
  });
});
