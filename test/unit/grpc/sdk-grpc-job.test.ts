// The SDK's gRPC client turns a JobSpec into Dapr's Job message. The failure policy's shape is
// the one the HTTP API takes and returns (@duetime/sdk/protocol, job-json.ts), so a policy read
// back over HTTP, Dapr's max_retries spelling included, can be scheduled again over gRPC.

import { describe, expect, it } from 'vitest';
import { toScheduleRequest } from '../../../packages/sdk/src/grpc-job.js';

describe('the SDK gRPC job mapping', () => {
  it('carries maxRetries and Dapr\'s max_retries alike', () => {
    for (const constant of [{ interval: '2s', maxRetries: 3 }, { interval: '2s', max_retries: 3 }]) {
      const { job } = toScheduleRequest('j', { dueTime: '1s', failurePolicy: { constant } });
      expect(job.failurePolicy).toEqual({ constant: { interval: { seconds: '2', nanos: 0 }, maxRetries: 3 } });
    }
  });

  it('names an unknown policy field', () => {
    expect(() => toScheduleRequest('j', { dueTime: '1s', failurePolicy: { constant: { retries: 3 } as never } })).toThrow(/constant\.retries is not a known field/);
  });
});
