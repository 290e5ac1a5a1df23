// The definitions our gRPC servers are built from, checked against the JavaScript that
// @dapr/dapr 3.18 generates from Dapr's own files: method paths and streaming, and bytes that
// one side writes and the other reads back field for field.
//
// @dapr/dapr ships three generations of generated code. Its DaprClient uses ConnectRPC with
// protobuf-es schemas (runtime/v1/dapr_pb.js, built from an older dapr.proto that has only
// Schedule/Get/DeleteJobAlpha1); the jobs messages are checked against those. The older
// google-protobuf classes (jobs_pb.js, scheduler_pb.js, *_grpc_pb.js) describe the newer
// files, but cannot read or write a failure_policy (their common_pb.js import now holds
// protobuf-es schemas, so JobFailurePolicy is not a constructor): they are used for method
// paths and for WatchJobs, which carries no policy.

import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type * as Bufbuild from '@bufbuild/protobuf';
import type * as DaprPb from '@dapr/dapr/proto/dapr/proto/runtime/v1/dapr_pb.js';
import type * as SchedulerPb from '@dapr/dapr/proto/dapr/proto/scheduler/v1/scheduler_pb.js';
import { loadDuetimeProtos, PROTO_DIR } from '@duetime/sdk/protocol';

// Dapr's generated code is CommonJS; protobuf-es is resolved from @dapr/dapr, whose dependency it is.
const requireCjs = createRequire(import.meta.url);
const requireFromDapr = createRequire(requireCjs.resolve('@dapr/dapr/package.json'));
const protobufEs = requireFromDapr('@bufbuild/protobuf') as typeof Bufbuild;
const generated = '@dapr/dapr/proto/dapr/proto';
const daprPb = requireCjs(`${generated}/runtime/v1/dapr_pb.js`) as typeof DaprPb;
// The google-protobuf classes extend a global `proto` that google-protobuf's own any_pb.js
// creates; scheduler_pb.js uses it before requiring any_pb.js itself, so load that first.
requireCjs('google-protobuf/google/protobuf/any_pb.js');
const schedulerPb = requireCjs(`${generated}/scheduler/v1/scheduler_pb.js`) as typeof SchedulerPb;

interface GeneratedMethod {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
}
const daprService = (requireCjs(`${generated}/runtime/v1/dapr_grpc_pb.js`) as { DaprService: Record<string, GeneratedMethod> }).DaprService;
const schedulerService = (requireCjs(`${generated}/scheduler/v1/scheduler_grpc_pb.js`) as { SchedulerService: Record<string, GeneratedMethod> })
  .SchedulerService;

const protos = loadDuetimeProtos();
const VALUE_URL = 'type.googleapis.com/google.protobuf.Value';

describe('loadDuetimeProtos', () => {
  it('finds proto/ at the root of the SDK package (packages/sdk) and parses once', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
    expect(PROTO_DIR).toBe(path.join(root, 'packages', 'sdk', 'proto'));
    expect(loadDuetimeProtos()).toBe(protos);
  });

  it('reads and writes Any as { type_url, value }; a camelCase typeUrl would be lost', () => {
    const method = protos.runtimeService.GetJob!;
    const roundTrip = (data: object): unknown =>
      (method.responseDeserialize(method.responseSerialize({ job: { name: 'n', data } })) as { job: { data: unknown } }).job.data;
    expect(roundTrip({ type_url: VALUE_URL, value: Buffer.from([8, 1]) })).toEqual({ type_url: VALUE_URL, value: Buffer.from([8, 1]) });
    expect(roundTrip({ typeUrl: VALUE_URL, value: Buffer.from([8, 1]) })).toEqual({ type_url: '', value: Buffer.from([8, 1]) });
  });

  it('gives every jobs method of Dapr\'s generated runtime client the same path and streaming', () => {
    const ours = new Map(Object.values(protos.runtimeService).map((m) => [m.path, m]));
    const jobs = Object.values(daprService).filter((m) => m.path.includes('Job'));
    expect(jobs.map((m) => m.path).sort()).toEqual([
      '/dapr.proto.runtime.v1.Dapr/DeleteJobAlpha1',
      '/dapr.proto.runtime.v1.Dapr/DeleteJobsByPrefixAlpha1',
      '/dapr.proto.runtime.v1.Dapr/GetJobAlpha1',
      '/dapr.proto.runtime.v1.Dapr/ListJobsAlpha1',
      '/dapr.proto.runtime.v1.Dapr/ScheduleJobAlpha1',
    ]);
    for (const method of jobs) {
      expect([method.path, ours.get(method.path)?.requestStream, ours.get(method.path)?.responseStream]).toEqual([
        method.path,
        method.requestStream,
        method.responseStream,
      ]);
    }
    // The stable names sit beside them, on the same service.
    expect(protos.runtimeService.ScheduleJob?.path).toBe('/dapr.proto.runtime.v1.Dapr/ScheduleJob');
    expect(protos.runtimeService.DeleteJobsByPrefix?.path).toBe('/dapr.proto.runtime.v1.Dapr/DeleteJobsByPrefix');
  });

  it('serves every jobs method the SDK\'s ConnectRPC client calls, with the same message types', () => {
    const sdkJobs = daprPb.Dapr.methods.filter((m) => m.name.includes('Job'));
    expect(sdkJobs.map((m) => m.name)).toEqual(['ScheduleJobAlpha1', 'GetJobAlpha1', 'DeleteJobAlpha1']);
    for (const method of sdkJobs) {
      const ours = protos.runtimeService[method.name];
      const describeOurs = ours && [ours.path, ours.requestStream, ours.responseStream, ours.requestType.type, ours.responseType.type];
      expect(describeOurs).toEqual([
        `/dapr.proto.runtime.v1.Dapr/${method.name}`,
        false,
        false,
        expect.objectContaining({ name: method.input.name }),
        expect.objectContaining({ name: method.output.name }),
      ]);
      expect([method.methodKind, method.input.typeName, method.output.typeName]).toEqual([
        'unary',
        `dapr.proto.runtime.v1.${method.input.name}`,
        `dapr.proto.runtime.v1.${method.output.name}`,
      ]);
    }
  });

  it('gives every method of Dapr\'s generated scheduler client the same path and streaming', () => {
    const describeMethod = (m: GeneratedMethod): string => `${m.path} ${m.requestStream ? 'stream' : 'unary'}->${m.responseStream ? 'stream' : 'unary'}`;
    expect(Object.values(protos.schedulerService).map(describeMethod).sort()).toEqual(Object.values(schedulerService).map(describeMethod).sort());
  });
});

describe('bytes between our definitions and the SDK\'s protobuf-es schemas', () => {
  it('a ScheduleJobRequest we write reads back in the SDK\'s schema', () => {
    const bytes = protos.runtimeService.ScheduleJobAlpha1!.requestSerialize({
      job: {
        name: 'nightly',
        schedule: '0 0 3 * * *',
        repeats: 7,
        dueTime: '2030-01-01T00:00:00Z',
        ttl: '72h',
        // Any keeps its snake_case field names (see LOADER_OPTIONS).
        data: { type_url: VALUE_URL, value: Buffer.from([0x1a, 0x02, 0x68, 0x69]) },
        failurePolicy: { constant: { interval: { seconds: 3, nanos: 250 }, maxRetries: 5 } },
      },
      overwrite: true,
    });
    const request = protobufEs.fromBinary(daprPb.ScheduleJobRequestSchema, bytes);
    const job = request.job!;
    expect([job.name, job.schedule, job.repeats, job.dueTime, job.ttl, request.overwrite]).toEqual(['nightly', '0 0 3 * * *', 7, '2030-01-01T00:00:00Z', '72h', true]);
    expect([job.data?.typeUrl, Buffer.from(job.data!.value).toString('hex')]).toEqual([VALUE_URL, '1a026869']);
    const policy = job.failurePolicy?.policy;
    expect(policy?.case).toBe('constant');
    if (policy?.case === 'constant') {
      expect([policy.value.interval?.seconds, policy.value.interval?.nanos, policy.value.maxRetries]).toEqual([3n, 250, 5]);
    }
  });

  it('a ScheduleJobRequest the SDK\'s schema writes reads back in ours, optional fields staying absent', () => {
    const request = protobufEs.create(daprPb.ScheduleJobRequestSchema, {
      job: {
        name: 'ping',
        dueTime: '10s',
        data: { typeUrl: '', value: Buffer.from('{"to":"ops"}') },
        failurePolicy: { policy: { case: 'drop', value: {} } },
      },
    });
    const bytes = Buffer.from(protobufEs.toBinary(daprPb.ScheduleJobRequestSchema, request));
    expect(protos.runtimeService.ScheduleJob!.requestDeserialize(bytes)).toEqual({
      job: {
        name: 'ping',
        dueTime: '10s',
        _dueTime: 'dueTime',
        data: { type_url: '', value: Buffer.from('{"to":"ops"}') },
        failurePolicy: { drop: {}, policy: 'drop' },
        _failurePolicy: 'failurePolicy',
      },
      overwrite: false,
    });
  });

  it('a GetJobResponse we write reads back in the SDK\'s schema', () => {
    const bytes = protos.runtimeService.GetJobAlpha1!.responseSerialize({
      job: { name: 'nightly', schedule: '@daily', failurePolicy: { constant: { interval: { seconds: 1 } } } },
    });
    const job = protobufEs.fromBinary(daprPb.GetJobResponseSchema, bytes).job!;
    expect([job.name, job.schedule, job.dueTime, job.repeats, job.data]).toEqual(['nightly', '@daily', undefined, undefined, undefined]);
    expect(job.failurePolicy?.policy.case).toBe('constant');
    if (job.failurePolicy?.policy.case === 'constant') expect(job.failurePolicy.policy.value.maxRetries).toBeUndefined();
  });
});

describe('WatchJobs bytes between our definitions and Dapr\'s google-protobuf classes', () => {
  it('a result and an initial message from Dapr\'s classes, a trigger from ours', () => {
    const watchJobs = protos.schedulerService.WatchJobs!;
    const result = new schedulerPb.WatchJobsRequest().setResult(
      new schedulerPb.WatchJobsRequestResult().setId(42).setStatus(schedulerPb.WatchJobsRequestResultStatus.FAILED),
    );
    expect(watchJobs.requestDeserialize(Buffer.from(result.serializeBinary()))).toEqual({
      result: { id: '42', status: 'FAILED' },
      watchJobRequestType: 'result',
    });

    const initial = new schedulerPb.WatchJobsRequest().setInitial(
      new schedulerPb.WatchJobsRequestInitial()
        .setAppId('orders')
        .setNamespace('prod')
        .setActorTypesList(['Order'])
        .setAcceptJobTypesList([schedulerPb.JobTargetType.JOB_TARGET_TYPE_JOB, schedulerPb.JobTargetType.JOB_TARGET_TYPE_ACTOR_REMINDER]),
    );
    expect(watchJobs.requestDeserialize(Buffer.from(initial.serializeBinary()))).toEqual({
      initial: { appId: 'orders', namespace: 'prod', actorTypes: ['Order'], acceptJobTypes: ['JOB_TARGET_TYPE_JOB', 'JOB_TARGET_TYPE_ACTOR_REMINDER'] },
      watchJobRequestType: 'initial',
    });

    const trigger = schedulerPb.WatchJobsResponse.deserializeBinary(
      watchJobs.responseSerialize({
        name: 'wake-up',
        id: '7',
        data: { type_url: VALUE_URL, value: Buffer.from([0x20, 0x01]) },
        metadata: { appId: 'orders', namespace: 'prod', target: { actor: { type: 'Order', id: 'o-1' } } },
      }),
    );
    const target = trigger.getMetadata()?.getTarget();
    expect([trigger.getName(), trigger.getId(), trigger.getData()?.getTypeUrl(), target?.getTypeCase(), target?.getActor()?.getType(), target?.getActor()?.getId()]).toEqual([
      'wake-up',
      7,
      VALUE_URL,
      schedulerPb.JobTargetMetadata.TypeCase.ACTOR,
      'Order',
      'o-1',
    ]);
  });
});
