// dapr.proto.runtime.v1.Dapr jobs methods against a real Duetime, called by Dapr's own client
// code: the @dapr/dapr SDK's GRPCClient (ConnectRPC over protobuf-es schemas Dapr generated) and
// a grpc-js client built from the dapr.proto that @dapr/dapr ships. The stable method names
// (absent from the 3.18 files) are called through ours.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromJson } from '@bufbuild/protobuf';
import { anyPack, anyUnpack, ValueSchema } from '@bufbuild/protobuf/wkt';
import { toJson } from '@bufbuild/protobuf';
import { credentials, status, type Client } from '@grpc/grpc-js';
import { GRPCClient } from '@dapr/dapr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDuetimeProtos } from '@duetime/sdk/protocol';
import { startNode, type Node } from '../support.js';
import { daprRuntimeClient, grpcError, readValueAny, unary, valueAny } from './helpers.js';


let node: Node;
let sdk: Awaited<ReturnType<GRPCClient['getClient']>>;
let daprProto: Client;
let ours: Client;

beforeAll(async () => {
  node = await startNode();
  const grpcClient = new GRPCClient({ daprHost: '127.0.0.1', daprPort: String(node.duetime.grpcPort), logger: { level: 0 } } as ConstructorParameters<typeof GRPCClient>[0]);
  sdk = await grpcClient.getClient(false); // false: skip the sidecar health probe (a Dapr metadata call)
  daprProto = daprRuntimeClient(node.duetime.grpcPort);
  ours = new (loadDuetimeProtos().RuntimeClient)(`127.0.0.1:${node.duetime.grpcPort}`, credentials.createInsecure());
});
afterAll(async () => {
  daprProto?.close();
  ours?.close();
  await node?.close();
});

const asOrders = { headers: { 'dapr-app-id': 'orders' } };

describe("Dapr's SDK client (ConnectRPC, protobuf-es)", () => {
  it('ScheduleJobAlpha1 / GetJobAlpha1 / DeleteJobAlpha1 round-trip every field', async () => {
    await sdk.scheduleJobAlpha1(
      {
        job: {
          name: 'nightly',
          schedule: '0 0 3 * * *',
          repeats: 12,
          dueTime: '2030-01-01T00:00:00Z',
          ttl: '2031-01-01T00:00:00Z',
          data: anyPack(ValueSchema, fromJson(ValueSchema, { report: 'sales', pages: [1, 2] })),
          failurePolicy: { policy: { case: 'constant', value: { interval: { seconds: 2n, nanos: 500_000_000 }, maxRetries: 4 } } },
        },
        overwrite: false,
      },
      asOrders,
    );
    const { job } = await sdk.getJobAlpha1({ name: 'nightly' }, asOrders);
    expect([job?.name, job?.schedule, job?.repeats, job?.dueTime, job?.ttl]).toEqual(['nightly', '0 0 3 * * *', 12, '2030-01-01T00:00:00Z', '2031-01-01T00:00:00Z']);
    expect(toJson(ValueSchema, anyUnpack(job!.data!, ValueSchema)!)).toEqual({ report: 'sales', pages: [1, 2] });
    expect(job?.failurePolicy?.policy.case).toBe('constant');
    if (job?.failurePolicy?.policy.case === 'constant') {
      expect(job.failurePolicy.policy.value.interval).toMatchObject({ seconds: 2n, nanos: 500_000_000 });
      expect(job.failurePolicy.policy.value.maxRetries).toBe(4);
    }

    // The same job over HTTP: JSON data, the policy as a Go duration.
    const http = await node.call('GET', '/v1.0/jobs/nightly', undefined, { 'dapr-app-id': 'orders' });
    expect(http.body).toMatchObject({ data: { report: 'sales', pages: [1, 2] }, failurePolicy: { constant: { interval: '2.5s', maxRetries: 4 } } });

    await sdk.deleteJobAlpha1({ name: 'nightly' }, asOrders);
    await expect(sdk.getJobAlpha1({ name: 'nightly' }, asOrders)).rejects.toMatchObject({ code: status.NOT_FOUND });
    await sdk.deleteJobAlpha1({ name: 'nightly' }, asOrders); // absent: still fine
  });

  it('a job with a drop policy and no data; another app cannot see it', async () => {
    await sdk.scheduleJobAlpha1({ job: { name: 'once', dueTime: '1h', failurePolicy: { policy: { case: 'drop', value: {} } } } }, asOrders);
    const { job } = await sdk.getJobAlpha1({ name: 'once' }, asOrders);
    expect([job?.dueTime, job?.data, job?.failurePolicy?.policy.case]).toEqual(['1h', undefined, 'drop']);
    await expect(sdk.getJobAlpha1({ name: 'once' }, { headers: { 'dapr-app-id': 'billing' } })).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it('errors carry gRPC codes and the message', async () => {
    const empty = await sdk.scheduleJobAlpha1({ job: { name: 'nothing' } }, asOrders).catch((e: unknown) => e);
    expect(empty).toMatchObject({ code: status.INVALID_ARGUMENT, rawMessage: expect.stringContaining('schedule, a dueTime') });
    const badName = await sdk.scheduleJobAlpha1({ job: { name: 'a/b', dueTime: '1s' } }, asOrders).catch((e: unknown) => e);
    expect(badName).toMatchObject({ code: status.INVALID_ARGUMENT });
    await sdk.scheduleJobAlpha1({ job: { name: 'taken', dueTime: '1h' } }, asOrders);
    const taken = await sdk.scheduleJobAlpha1({ job: { name: 'taken', dueTime: '1h' } }, asOrders).catch((e: unknown) => e);
    expect(taken).toMatchObject({ code: status.ALREADY_EXISTS, rawMessage: expect.stringContaining('overwrite') });
    await sdk.scheduleJobAlpha1({ job: { name: 'taken', dueTime: '2h' }, overwrite: true }, asOrders);
    expect((await sdk.getJobAlpha1({ name: 'taken' }, asOrders)).job?.dueTime).toBe('2h');
  });
});

describe("grpc-js client from Dapr's shipped dapr.proto", () => {
  it('ListJobsAlpha1 and DeleteJobsByPrefixAlpha1', async () => {
    const md = { 'dapr-app-id': 'lister' };
    for (const name of ['report-a', 'report-b', 'other']) {
      await unary(daprProto, 'ScheduleJobAlpha1', { job: { name, schedule: '@every 1h', data: valueAny(name) } }, md);
    }
    const listed = await unary<{ jobs: Array<{ name: string; schedule: string; data: { type_url: string; value: Buffer } }> }>(daprProto, 'ListJobsAlpha1', {}, md);
    expect(listed.jobs.map((j) => [j.name, j.schedule, readValueAny(j.data)])).toEqual([
      ['other', '@every 1h', 'other'],
      ['report-a', '@every 1h', 'report-a'],
      ['report-b', '@every 1h', 'report-b'],
    ]);
    await unary(daprProto, 'DeleteJobsByPrefixAlpha1', { namePrefix: 'report-' }, md);
    expect((await unary<{ jobs: Array<{ name: string }> }>(daprProto, 'ListJobsAlpha1', {}, md)).jobs.map((j) => j.name)).toEqual(['other']);
    await unary(daprProto, 'DeleteJobsByPrefixAlpha1', {}, md); // no prefix: all of the app
    expect((await unary<{ jobs: unknown[] }>(daprProto, 'ListJobsAlpha1', {}, md)).jobs).toEqual([]);
  });

  it('a non-Value Any is kept byte for byte, and an HTTP app receives its bytes', async () => {
    const raw = { type_url: '', value: Buffer.from('  {"to":"ops"}\n') }; // as Dapr's Go SDK example sends
    await unary(daprProto, 'ScheduleJobAlpha1', { job: { name: 'raw-job', dueTime: '0s', data: raw } }); // default app "app": the receiver
    await node.receiver.waitFor(() => node.receiver.forJob('raw-job').length === 1, 20_000, 'raw-job');
    expect(node.receiver.forJob('raw-job')[0]!.body).toBe('{"to":"ops"}');

    const typed = { type_url: 'type.googleapis.com/google.protobuf.StringValue', value: Buffer.from([10, 2, 104, 105]) };
    await unary(daprProto, 'ScheduleJobAlpha1', { job: { name: 'typed', dueTime: '1h', data: typed } });
    const { job } = await unary<{ job: { data: { type_url: string; value: Buffer } } }>(daprProto, 'GetJobAlpha1', { name: 'typed' });
    expect(job.data).toEqual(typed);
    const http = await node.call('GET', '/v1.0/jobs/typed');
    expect(http.body.rawData).toEqual({ typeUrl: typed.type_url, value: typed.value.toString('base64') });
  });

  it('a job scheduled over HTTP reads back over gRPC as a Value', async () => {
    await node.call('POST', '/v1.0/jobs/from-http', { dueTime: '1h', data: { n: 1, list: [true, null] } });
    const { job } = await unary<{ job: { data: { type_url: string; value: Buffer } } }>(daprProto, 'GetJobAlpha1', { name: 'from-http' });
    expect(readValueAny(job.data)).toEqual({ n: 1, list: [true, null] });
  });
});

describe('stable method names (Dapr 1.18), through our client', () => {
  it('ScheduleJob, GetJob, ListJobs, DeleteJobsByPrefix, DeleteJob', async () => {
    const md = { 'dapr-app-id': 'stable', 'dapr-namespace': 'prod' };
    await unary(ours, 'ScheduleJob', { job: { name: 's1', dueTime: '1h', repeats: 1 } }, md);
    await unary(ours, 'ScheduleJob', { job: { name: 's2', schedule: '@every 1m', failurePolicy: { constant: { interval: { seconds: 5 } } } } }, md);
    const got = await unary<{ job: Record<string, unknown> }>(ours, 'GetJob', { name: 's2' }, md);
    expect(got.job).toMatchObject({ name: 's2', schedule: '@every 1m', failurePolicy: { constant: { interval: { seconds: '5', nanos: 0 } } } });
    expect(got.job.failurePolicy).not.toHaveProperty('constant.maxRetries');
    expect((await unary<{ jobs: Array<{ name: string }> }>(ours, 'ListJobs', {}, md)).jobs.map((j) => j.name)).toEqual(['s1', 's2']);
    await unary(ours, 'DeleteJob', { name: 's1' }, md);
    await unary(ours, 'DeleteJobsByPrefix', { namePrefix: 's' }, md);
    expect((await unary<{ jobs: unknown[] }>(ours, 'ListJobs', {}, md)).jobs).toEqual([]);
  });

  it('NOT_FOUND carries the Dapr error code in trailing metadata', async () => {
    const error = await grpcError(unary(ours, 'GetJob', { name: 'missing' }));
    expect(error.code).toBe(status.NOT_FOUND);
    expect(error.details).toBe('job "missing" not found');
    expect(error.metadata.get('dapr-error-code')).toEqual(['DAPR_SCHEDULER_GET_JOB']);
    expect(error.metadata.get('grpc-status-details-bin')).toHaveLength(1);
  });

  it('a method Duetime does not serve answers UNIMPLEMENTED', async () => {
    const error = await grpcError(unary(daprProto, 'GetMetadata', {}));
    expect(error.code).toBe(status.UNIMPLEMENTED);
  });
});

describe('identity from call metadata, with API tokens', () => {
  let secured: Node;
  let client: Client;
  beforeAll(async () => {
    const file = join(node.dataDir, 'tokens.yaml');
    writeFileSync(file, 'tokens:\n  - token: orders-token\n    appId: orders\n  - token: admin-token\n');
    secured = await startNode({ configFile: file });
    client = daprRuntimeClient(secured.duetime.grpcPort);
  });
  afterAll(async () => {
    client?.close();
    await secured?.close();
  });

  it('UNAUTHENTICATED without a valid token, PERMISSION_DENIED acting as another app', async () => {
    expect((await grpcError(unary(client, 'GetJobAlpha1', { name: 'x' }))).code).toBe(status.UNAUTHENTICATED);
    expect((await grpcError(unary(client, 'GetJobAlpha1', { name: 'x' }, { 'dapr-api-token': 'wrong' }))).code).toBe(status.UNAUTHENTICATED);
    const denied = await grpcError(unary(client, 'GetJobAlpha1', { name: 'x' }, { 'dapr-api-token': 'orders-token', 'dapr-app-id': 'billing' }));
    expect(denied.code).toBe(status.PERMISSION_DENIED);
  });

  it('a bound token acts as its app; an unbound one as the app it names', async () => {
    await unary(client, 'ScheduleJobAlpha1', { job: { name: 'mine', dueTime: '1h' } }, { 'dapr-api-token': 'orders-token' });
    const asAdmin = { 'dapr-api-token': 'admin-token', 'dapr-app-id': 'orders' };
    expect((await unary<{ job: { name: string } }>(client, 'GetJobAlpha1', { name: 'mine' }, asAdmin)).job.name).toBe('mine');
    const http = await secured.call('GET', '/v1.0/jobs/mine', undefined, { 'dapr-api-token': 'orders-token' });
    expect(http.status).toBe(200);
  });
});
