// Our .proto files against the ones Dapr ships in @dapr/dapr (3.18): same services, methods,
// streaming, messages, fields, numbers, types and oneofs, and messages that cross from one
// definition to the other unchanged.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTO_DIR, RUNTIME_SERVICE, SCHEDULER_SERVICE } from '@duetime/sdk/protocol';
import { compareDeclaredTypes, compareService, type Twins } from './compare-protos.js';
import { loadDaprRoot, loadOurRoot } from './proto-roots.js';

/**
 * The stable jobs API of dapr/dapr master (Dapr 1.18), absent from the 3.18 files: stable method
 * -> its Alpha1 twin, stable message -> its Alpha1 twin. Source: dapr/dapr
 * dapr/proto/runtime/v1/jobs.proto and the Dapr service stubs regenerated for 1.18.
 */
const STABLE_TWINS: Twins = {
  methods: {
    ScheduleJob: 'ScheduleJobAlpha1',
    GetJob: 'GetJobAlpha1',
    DeleteJob: 'DeleteJobAlpha1',
    DeleteJobsByPrefix: 'DeleteJobsByPrefixAlpha1',
    ListJobs: 'ListJobsAlpha1',
  },
  messages: {
    'dapr.proto.runtime.v1.DeleteJobsByPrefixRequest': 'dapr.proto.runtime.v1.DeleteJobsByPrefixRequestAlpha1',
    'dapr.proto.runtime.v1.DeleteJobsByPrefixResponse': 'dapr.proto.runtime.v1.DeleteJobsByPrefixResponseAlpha1',
    'dapr.proto.runtime.v1.ListJobsRequest': 'dapr.proto.runtime.v1.ListJobsRequestAlpha1',
    'dapr.proto.runtime.v1.ListJobsResponse': 'dapr.proto.runtime.v1.ListJobsResponseAlpha1',
  },
  // Duetime's one addition to Dapr's messages: the trigger's W3C trace context on WatchJobs.
  extensions: ['dapr.proto.scheduler.v1.WatchJobsResponse.trace_context'],
};

/** Dapr's runtime service has ~80 methods; ours re-implements the jobs ones. */
const isJobsMethod = (method: string): boolean => /Job/.test(method);

const ours = loadOurRoot();
const dapr = loadDaprRoot();

describe('services match Dapr', () => {
  it(`${RUNTIME_SERVICE}: every jobs method, Alpha1 and stable`, () => {
    expect(compareService(ours, dapr, RUNTIME_SERVICE, { twins: STABLE_TWINS, only: isJobsMethod })).toEqual([]);
    expect(ours.lookupService(RUNTIME_SERVICE).methodsArray.map((m) => m.name).sort()).toEqual(
      [...Object.keys(STABLE_TWINS.methods), ...Object.values(STABLE_TWINS.methods)].sort(),
    );
  });

  it(`${SCHEDULER_SERVICE}: every method`, () => {
    expect(compareService(ours, dapr, SCHEDULER_SERVICE)).toEqual([]);
    const watchJobs = ours.lookupService(SCHEDULER_SERVICE).methods.WatchJobs;
    expect([watchJobs?.requestStream, watchJobs?.responseStream]).toEqual([true, true]);
  });
});

describe('messages match Dapr', () => {
  it('every message and enum we declare, and the types their fields use', () => {
    expect(compareDeclaredTypes(ours, dapr, STABLE_TWINS)).toEqual([]);
  });

  it('we declare what the services need and Google types come from protobufjs', () => {
    const declared = (pkg: string): string[] =>
      ours.lookup(pkg) instanceof protobuf.Namespace
        ? (ours.lookup(pkg) as protobuf.Namespace).nestedArray.map((n) => n.name).sort()
        : [];
    expect(declared('dapr.proto.common.v1')).toEqual(['JobFailurePolicy', 'JobFailurePolicyConstant', 'JobFailurePolicyDrop']);
    expect(ours.lookupType('dapr.proto.runtime.v1.Job').fields.data?.resolvedType?.fullName).toBe('.google.protobuf.Any');
  });
});

describe('the comparison catches mismatches', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'duetime-protos-'));
    cpSync(PROTO_DIR, dir, { recursive: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function edit(file: string, from: string, to: string): void {
    const full = path.join(dir, file);
    const text = readFileSync(full, 'utf8');
    expect(text).toContain(from);
    writeFileSync(full, text.replace(from, to));
  }

  it('reports a renumbered field, a field moved out of a oneof, a lost stream and a wrong enum', () => {
    const scheduler = 'dapr/proto/scheduler/v1/duetime_scheduler.proto';
    edit(scheduler, 'uint64 id = 2;', 'uint64 id = 9;');
    edit(scheduler, 'optional bool id_prefix_match = 2;', 'bool id_prefix_match = 2;');
    edit(scheduler, 'rpc WatchHosts(WatchHostsRequest) returns (stream WatchHostsResponse)', 'rpc WatchHosts(WatchHostsRequest) returns (WatchHostsResponse)');
    edit(scheduler, 'FAILED = 1;', 'FAILED = 2;');
    edit('dapr/proto/runtime/v1/duetime_jobs.proto', 'optional uint32 repeats = 3;', 'optional int32 repeats = 3;');
    const broken = loadOurRoot(dir);

    expect(compareService(broken, dapr, SCHEDULER_SERVICE)).toEqual([
      'rpc dapr.proto.scheduler.v1.Scheduler/WatchHosts: server streaming is false, Dapr\'s is true',
    ]);
    expect(compareDeclaredTypes(broken, dapr, STABLE_TWINS)).toEqual(
      expect.arrayContaining([
        'message dapr.proto.runtime.v1.Job: field repeats: type is int32, Dapr\'s is uint32',
        'enum dapr.proto.scheduler.v1.WatchJobsRequestResultStatus: FAILED is 2, Dapr\'s is 1',
        'message dapr.proto.scheduler.v1.WatchJobsResponse: field id: number is 9, Dapr\'s is 2',
        'message dapr.proto.scheduler.v1.DeleteByMetadataRequest: field id_prefix_match: oneof is none, Dapr\'s is _id_prefix_match',
        'message dapr.proto.scheduler.v1.DeleteByMetadataRequest: missing Dapr\'s oneof _id_prefix_match',
      ]),
    );
  });
});

describe('messages cross between Dapr\'s definitions and ours unchanged', () => {
  const value = (json: protobuf.Message | object): Uint8Array => {
    const type = dapr.lookupType('google.protobuf.Value');
    return type.encode(type.fromObject(json)).finish();
  };
  const asObject = { longs: String, enums: String, bytes: String, defaults: false, oneofs: true };

  /** Encodes with one root, decodes with the other, both ways; the bytes must be identical too. */
  function crossBothWays(typeName: string, object: Record<string, unknown>): void {
    const theirs = dapr.lookupType(typeName);
    const mine = ours.lookupType(typeName);
    const daprBytes = theirs.encode(theirs.fromObject(object)).finish();
    const ourBytes = mine.encode(mine.fromObject(object)).finish();
    expect(Buffer.from(ourBytes).toString('hex')).toBe(Buffer.from(daprBytes).toString('hex'));
    const expected = theirs.toObject(theirs.decode(daprBytes), asObject);
    expect(mine.toObject(mine.decode(daprBytes), asObject)).toEqual(expected);
    expect(theirs.toObject(theirs.decode(ourBytes), asObject)).toEqual(expected);
    // Nothing dropped: Dapr's bytes decoded by us and encoded again are the same bytes.
    expect(Buffer.from(mine.encode(mine.decode(daprBytes)).finish()).toString('hex')).toBe(Buffer.from(daprBytes).toString('hex'));
  }

  it('runtime ScheduleJobRequest with every field set', () => {
    crossBothWays('dapr.proto.runtime.v1.ScheduleJobRequest', {
      job: {
        name: 'nightly-report',
        schedule: 'CRON_TZ=Europe/Paris 0 0 3 * * *',
        repeats: 12,
        due_time: '2030-01-01T00:00:00Z',
        ttl: '720h',
        data: {
          type_url: 'type.googleapis.com/google.protobuf.Value',
          value: value({ struct_value: { fields: { report: { string_value: 'sales' }, pages: { number_value: 3 } } } }),
        },
        failure_policy: { constant: { interval: { seconds: 2, nanos: 500_000_000 }, max_retries: 4 } },
      },
      overwrite: true,
    });
  });

  it('runtime ScheduleJobRequest with nothing optional set keeps the fields absent', () => {
    const object = { job: { name: 'once', due_time: '10s', failure_policy: { drop: {} } } };
    crossBothWays('dapr.proto.runtime.v1.ScheduleJobRequest', object);
    const mine = ours.lookupType('dapr.proto.runtime.v1.ScheduleJobRequest');
    const decoded = mine.toObject(mine.decode(dapr.lookupType('dapr.proto.runtime.v1.ScheduleJobRequest').encode(object).finish()), asObject);
    expect(decoded.job).toEqual({ name: 'once', due_time: '10s', _due_time: 'due_time', failure_policy: { drop: {}, policy: 'drop' }, _failure_policy: 'failure_policy' });
  });

  it('runtime list and prefix-delete messages', () => {
    crossBothWays('dapr.proto.runtime.v1.ListJobsResponseAlpha1', {
      jobs: [{ name: 'a', schedule: '@every 1s' }, { name: 'b', due_time: '1m', data: { type_url: '', value: Buffer.from('{"raw":true}') } }],
    });
    crossBothWays('dapr.proto.runtime.v1.DeleteJobsByPrefixRequestAlpha1', { name_prefix: 'report-' });
  });

  it('scheduler ScheduleJobRequest for an actor reminder', () => {
    crossBothWays('dapr.proto.scheduler.v1.ScheduleJobRequest', {
      name: 'wake-up',
      job: { schedule: '@every 10s', repeats: 5, due_time: '0s', ttl: '1h', data: { type_url: 'type.googleapis.com/google.protobuf.BytesValue', value: Buffer.from([10, 1, 0]) }, failure_policy: { constant: { interval: { seconds: 1 } } } },
      metadata: { app_id: 'orders', namespace: 'prod', target: { actor: { id: 'order-17', type: 'Order' } } },
      overwrite: true,
    });
  });

  it('scheduler WatchJobs messages both ways, with 64-bit ids', () => {
    crossBothWays('dapr.proto.scheduler.v1.WatchJobsRequest', {
      initial: { app_id: 'orders', namespace: 'prod', actor_types: ['Order', 'Cart'], accept_job_types: ['JOB_TARGET_TYPE_JOB', 'JOB_TARGET_TYPE_ACTOR_REMINDER'] },
    });
    crossBothWays('dapr.proto.scheduler.v1.WatchJobsRequest', { result: { id: '18446744073709551615', status: 'FAILED' } });
    crossBothWays('dapr.proto.scheduler.v1.WatchJobsResponse', {
      name: 'nightly-report',
      id: '9007199254740993',
      data: { type_url: 'type.googleapis.com/google.protobuf.Value', value: value({ string_value: 'hi' }) },
      metadata: { app_id: 'orders', namespace: 'prod', target: { job: {} } },
    });
  });

  it('a WatchJobsResponse with Duetime\'s trace_context decodes in Dapr\'s definition as the same trigger', () => {
    const trigger = { name: 'nightly-report', id: '7', metadata: { app_id: 'orders', namespace: 'prod', target: { job: {} } } };
    const mine = ours.lookupType('dapr.proto.scheduler.v1.WatchJobsResponse');
    const theirs = dapr.lookupType('dapr.proto.scheduler.v1.WatchJobsResponse');
    const traced = mine.encode(mine.fromObject({ ...trigger, trace_context: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } })).finish();
    expect(theirs.toObject(theirs.decode(traced), asObject)).toEqual(theirs.toObject(theirs.fromObject(trigger), asObject));
    // Without the allowance, the comparison reports the field as not Dapr's.
    expect(compareDeclaredTypes(ours, dapr, { ...STABLE_TWINS, extensions: [] })).toEqual([
      'message dapr.proto.scheduler.v1.WatchJobsResponse: field trace_context = 1000 is not Dapr\'s',
    ]);
  });

  it('scheduler list, hosts and bulk-delete messages', () => {
    crossBothWays('dapr.proto.scheduler.v1.ListJobsResponse', {
      jobs: [{ name: 'a', metadata: { app_id: 'x', namespace: 'y', target: { job: {} } }, job: { schedule: '@hourly' } }],
    });
    crossBothWays('dapr.proto.scheduler.v1.WatchHostsResponse', { hosts: [{ address: '10.0.0.1:50006' }, { address: '10.0.0.2:50006' }] });
    crossBothWays('dapr.proto.scheduler.v1.DeleteByMetadataRequest', {
      metadata: { app_id: 'x', namespace: 'y', target: { actor: { type: 'Order', id: 'order-' } } },
      id_prefix_match: true,
    });
    crossBothWays('dapr.proto.scheduler.v1.DeleteByNamePrefixRequest', { name_prefix: '', metadata: { app_id: 'x', namespace: 'y' } });
  });
});
