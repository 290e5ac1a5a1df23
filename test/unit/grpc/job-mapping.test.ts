// Dapr's Job message <-> the JSON body of the HTTP API and the JobView, including payloads.

import { describe, expect, it } from 'vitest';
import { jobToScheduleArguments, jobViewToFields } from '../../../src/api/grpc/job-mapping.js';
import { encodeValue, VALUE_TYPE_URL } from '@duetime/sdk/protocol';
import type { JobView } from '../../../src/app/job-view.js';

const status: JobView['status'] = { count: 0, attempts: 0, state: 'active' };

describe('proto Job -> schedule body', () => {
  it('carries every field under its JSON name, a Value payload as JSON', () => {
    const args = jobToScheduleArguments(
      {
        schedule: '@every 1s',
        repeats: 3,
        dueTime: '10s',
        ttl: '1h',
        data: { type_url: VALUE_TYPE_URL, value: encodeValue({ to: 'ops' }) },
        failurePolicy: { policy: 'constant', constant: { interval: { seconds: '2', nanos: 500_000_000 }, maxRetries: 4 } },
      },
      true,
    );
    expect(args).toEqual({
      body: {
        overwrite: true,
        schedule: '@every 1s',
        repeats: 3,
        dueTime: '10s',
        ttl: '1h',
        data: { to: 'ops' },
        failurePolicy: { constant: { interval: '2.5s', maxRetries: 4 } },
      },
    });
  });

  it('keeps other Any types raw, drop policies, and an empty Any as no payload', () => {
    expect(jobToScheduleArguments({ dueTime: '1s', data: { type_url: '', value: Buffer.from('{"raw":1}') }, failurePolicy: { policy: 'drop', drop: {} } }, false)).toEqual({
      body: { overwrite: false, dueTime: '1s', failurePolicy: { drop: {} } },
      rawData: { typeUrl: '', value: Buffer.from('{"raw":1}').toString('base64') },
    });
    expect(jobToScheduleArguments({ dueTime: '1s', data: { type_url: '', value: Buffer.alloc(0) } }, false)).toEqual({ body: { overwrite: false, dueTime: '1s' } });
  });

  it('a constant policy without interval or retries leaves them to the defaults', () => {
    expect(jobToScheduleArguments({ dueTime: '1s', failurePolicy: { policy: 'constant', constant: { interval: null } } }, false).body.failurePolicy).toEqual({ constant: {} });
  });

  it('rejects a missing job and an undecodable Value', () => {
    expect(() => jobToScheduleArguments(null, false)).toThrow(/no job/);
    expect(() => jobToScheduleArguments({ dueTime: '1s', data: { type_url: VALUE_TYPE_URL, value: Buffer.from([0x1a, 0x09]) } }, false)).toThrow(/not a valid google.protobuf.Value/);
  });
});

describe('JobView -> proto Job fields', () => {
  it('maps JSON data to a Value Any and the policy to a Duration', () => {
    const fields = jobViewToFields({ name: 'a', schedule: '@daily', repeats: 2, data: [1], failurePolicy: { constant: { interval: '1.5s', max_retries: 2 } }, status });
    expect(fields).toEqual({
      schedule: '@daily',
      repeats: 2,
      data: { type_url: VALUE_TYPE_URL, value: encodeValue([1]) },
      failurePolicy: { constant: { interval: { seconds: '1', nanos: 500_000_000 }, maxRetries: 2 } },
    });
  });

  it('gives a raw payload back byte for byte; the exponential policy has no proto form', () => {
    const fields = jobViewToFields({
      name: 'a',
      dueTime: '1m',
      rawData: { typeUrl: 'type.googleapis.com/google.protobuf.StringValue', value: Buffer.from([10, 2, 104, 105]).toString('base64') },
      failurePolicy: { exponential: { initialInterval: '1s' } },
      status,
    });
    expect(fields).toEqual({ dueTime: '1m', data: { type_url: 'type.googleapis.com/google.protobuf.StringValue', value: Buffer.from([10, 2, 104, 105]) } });
  });
});
