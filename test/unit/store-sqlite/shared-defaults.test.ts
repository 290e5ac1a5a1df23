// A job read back from a row shares the default failure policy and the app target with every
// other job instead of holding copies: fewer objects per job held in memory, which is what a
// major collection marks (issue 12's steady-rate episodes). Shared, so they must be frozen.

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeDefinition, encodeDefinition } from '../../../src/adapters/store-sqlite/row-codec.js';
import { SharedStrings } from '../../../src/adapters/store-sqlite/shared-strings.js';
import { DEFAULT_FAILURE_POLICY, DEFAULT_FAILURE_POLICY_SOURCE } from '../../../src/core/model/failure-policy.js';
import { parseJobRequest } from '../../../src/core/model/job-request.js';
import { APP_TARGET } from '../../../src/core/model/target.js';

const key = { namespace: 'default', appId: 'app', name: 'j' };

function roundTrip(body: Record<string, unknown>) {
  const { def } = parseJobRequest(key, body, Date.now(), randomUUID());
  return { def, decoded: decodeDefinition(key, def.uid, encodeDefinition(def)) };
}

describe('default parts of a definition read from a row', () => {
  it('are the shared defaults the request parser hands out, not copies', () => {
    const { def, decoded } = roundTrip({ dueTime: '1h', data: { n: 1 } });
    expect(def.failurePolicy).toBe(DEFAULT_FAILURE_POLICY);
    expect(def.target).toBe(APP_TARGET);
    expect(decoded.failurePolicy).toBe(DEFAULT_FAILURE_POLICY);
    expect(decoded.failurePolicySource).toBe(DEFAULT_FAILURE_POLICY_SOURCE);
    expect(decoded.target).toBe(APP_TARGET);
    expect(decoded).toEqual(def);
  });

  it('are frozen to the last level, so no job can change them for the others', () => {
    expect(() => {
      (DEFAULT_FAILURE_POLICY as { maxRetries?: number }).maxRetries = 9;
    }).toThrow(TypeError);
    expect(() => {
      (DEFAULT_FAILURE_POLICY_SOURCE.constant as { interval: string }).interval = '9s';
    }).toThrow(TypeError);
    expect(() => {
      (APP_TARGET as { kind: string }).kind = 'pubsub';
    }).toThrow(TypeError);
    expect(DEFAULT_FAILURE_POLICY).toEqual({ kind: 'constant', intervalMs: 1000, maxRetries: 3 });
  });

  it('a policy or target of its own is read back as its own object', () => {
    const { def, decoded } = roundTrip({ dueTime: '1h', failurePolicy: { drop: {} }, target: { pubsub: { name: 'p', topic: 't' } } });
    expect(decoded.failurePolicy).not.toBe(DEFAULT_FAILURE_POLICY);
    expect(decoded.target).not.toBe(APP_TARGET);
    expect(decoded).toEqual(def);
  });
});

describe('SharedStrings', () => {
  it('answers the text it is given, also after its table filled and started again', () => {
    const strings = new SharedStrings();
    for (let i = 0; i < 10_000; i++) expect(strings.of(`app-${i % 5_000}`)).toBe(`app-${i % 5_000}`);
    expect(strings.of('default')).toBe('default');
  });
});
