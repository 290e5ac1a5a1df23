// DuetimeGrpcClient against a real Duetime's gRPC runtime API: every method, payloads and
// policies as DuetimeClient sees them over HTTP, delivery of a job it scheduled, errors as the
// same DuetimeApiError the HTTP client throws, identity and tokens, and what it refuses to send.

import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { credentials, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDuetimeProtos } from '@duetime/sdk/protocol';
import { DuetimeApiError, DuetimeClient, DuetimeGrpcClient, type JobSpec } from '@duetime/sdk';
import { startNode, type Node } from '../support.js';

let node: Node;
let grpc: DuetimeGrpcClient;
let http: DuetimeClient;
const opened: DuetimeGrpcClient[] = [];

/** A gRPC client of the node (closed after the file), with the options given. */
function grpcClient(options: ConstructorParameters<typeof DuetimeGrpcClient>[0] = {}, target = node): DuetimeGrpcClient {
  const client = new DuetimeGrpcClient({ address: `127.0.0.1:${target.duetime.grpcPort}`, ...options });
  opened.push(client);
  return client;
}

beforeAll(async () => {
  node = await startNode();
  grpc = grpcClient({ appId: 'sdk-grpc' });
  http = new DuetimeClient({ baseUrl: node.duetime.httpUrl, appId: 'sdk-grpc' });
  await node.call('PUT', '/v1.0/apps/sdk-grpc', { url: node.receiver.url }); // where the app's triggers go
});
afterAll(async () => {
  for (const client of opened) client.close();
  await node?.close();
});

async function thrown(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('the call succeeded; an error was expected');
    },
    (error: unknown) => error,
  );
}

async function apiError(promise: Promise<unknown>): Promise<DuetimeApiError> {
  const error = await thrown(promise);
  expect(error).toBeInstanceOf(DuetimeApiError);
  return error as DuetimeApiError;
}

/** The fields both clients fill the same way. */
function comparable(error: DuetimeApiError): unknown {
  return { status: error.status, errorCode: error.errorCode, message: error.message, details: error.details };
}

describe('DuetimeGrpcClient', () => {
  it('schedule, get, list, delete, deleteByPrefix', async () => {
    await grpc.schedule('report', { schedule: '@every 1h', repeats: 5, ttl: '2h', data: { to: 'ops' }, failurePolicy: { drop: {} } });
    expect(await grpc.get('report')).toEqual({ name: 'report', schedule: '@every 1h', repeats: 5, ttl: '2h', data: { to: 'ops' }, failurePolicy: { drop: {} } });
    // The same job over HTTP: what was sent arrived as sent.
    expect(await http.get('report')).toMatchObject({ schedule: '@every 1h', repeats: 5, ttl: '2h', data: { to: 'ops' }, failurePolicy: { drop: {} }, status: { state: 'active' } });

    await grpc.schedule('report', { dueTime: '1h', overwrite: true });
    expect(await grpc.get('report')).toEqual({ name: 'report', dueTime: '1h', failurePolicy: { constant: { interval: '1s', maxRetries: 3 } } }); // the default policy

    for (const name of ['batch-b', 'batch-a', 'other']) await grpc.schedule(name, { dueTime: '1h' });
    expect((await grpc.list()).jobs.map((j) => j.name)).toEqual(['batch-a', 'batch-b', 'other', 'report']);
    expect((await grpc.list({ prefix: 'batch-' })).jobs.map((j) => j.name)).toEqual(['batch-a', 'batch-b']);
    const all: string[] = [];
    for await (const job of grpc.listAll({ prefix: 'batch-', pageSize: 1 })) all.push(job.name);
    expect(all).toEqual(['batch-a', 'batch-b']);

    await grpc.delete('report');
    await grpc.delete('report'); // absent: fine
    const missing = await apiError(grpc.get('report'));
    expect([missing.status, missing.errorCode, missing.message, missing.grpcCode]).toEqual([404, 'DAPR_SCHEDULER_GET_JOB', 'job "report" not found', status.NOT_FOUND]);

    expect(await grpc.deleteByPrefix('batch-')).toBeUndefined();
    expect((await grpc.list()).jobs.map((j) => j.name)).toEqual(['other']);
    await grpc.deleteByPrefix(''); // every job of the app
    expect((await http.list()).jobs).toEqual([]);
  });

  it('JSON data round-trips, nested, both ways between the clients', async () => {
    const data = { order: { id: 42, lines: [{ sku: 'a-1', qty: 2, price: 9.5 }, { sku: 'b', tags: [] }], note: null }, ok: true, text: 'häppy 🎉', empty: {} };
    await grpc.schedule('nested', { dueTime: '1h', data });
    expect((await grpc.get('nested')).data).toEqual(data);
    expect((await http.get('nested')).data).toEqual(data);
    await http.schedule('from-http', { dueTime: '1h', data: [1, 'two', { three: [3] }] });
    expect((await grpc.get('from-http')).data).toEqual([1, 'two', { three: [3] }]);

    // As DuetimeClient would send it: through JSON (undefined members dropped, toJSON applied).
    await grpc.schedule('as-json', { dueTime: '1h', data: { at: new Date('2030-01-02T03:04:05Z'), gone: undefined, n: 0 } });
    expect((await http.get('as-json')).data).toEqual({ at: '2030-01-02T03:04:05.000Z', n: 0 });
    await grpc.schedule('null-data', { dueTime: '1h', data: null });
    expect(await grpc.get('null-data')).toHaveProperty('data', null);
    await grpc.schedule('no-data', { dueTime: '1h' });
    expect(await grpc.get('no-data')).not.toHaveProperty('data');
    await grpc.deleteByPrefix('');
  });

  it('a payload of another type reads back as the rawData DuetimeClient shows', async () => {
    const raw = new (loadDuetimeProtos().RuntimeClient)(`127.0.0.1:${node.duetime.grpcPort}`, credentials.createInsecure());
    try {
      const any = { type_url: 'type.googleapis.com/google.protobuf.StringValue', value: Buffer.from([10, 2, 104, 105]) };
      await rawUnary(raw, 'ScheduleJob', { job: { name: 'typed', dueTime: '1h', data: any } }, { 'dapr-app-id': 'sdk-grpc' });
      const expected = { typeUrl: any.type_url, value: any.value.toString('base64') };
      expect(await grpc.get('typed')).toMatchObject({ rawData: expected });
      expect(await grpc.get('typed')).not.toHaveProperty('data');
      expect((await http.get('typed')).rawData).toEqual(expected);
    } finally {
      raw.close();
      await grpc.delete('typed');
    }
  });

  it('failure policy intervals go as Durations and read back as Go durations', async () => {
    await grpc.schedule('constant', { schedule: '@every 1h', failurePolicy: { constant: { interval: '2.5s', maxRetries: 4 } } });
    expect((await grpc.get('constant')).failurePolicy).toEqual({ constant: { interval: '2.5s', maxRetries: 4 } });
    expect((await http.get('constant')).failurePolicy).toEqual({ constant: { interval: '2.5s', maxRetries: 4 } });

    await grpc.schedule('iso', { schedule: '@every 1h', failurePolicy: { constant: { interval: 'PT1M30S' } } }); // no maxRetries: retry forever
    expect((await grpc.get('iso')).failurePolicy).toEqual({ constant: { interval: '1m30s' } });
    await grpc.schedule('default-interval', { schedule: '@every 1h', failurePolicy: { constant: { maxRetries: 0 } } });
    expect((await grpc.get('default-interval')).failurePolicy).toEqual({ constant: { interval: '1s', maxRetries: 0 } });

    // The exponential extension has no form in Dapr's message: absent on gRPC reads.
    await http.schedule('exponential', { schedule: '@every 1h', failurePolicy: { exponential: { initialInterval: '1s', maxRetries: 3 } } });
    const exponential = await grpc.get('exponential');
    expect(exponential).not.toHaveProperty('failurePolicy');
    expect(exponential).toMatchObject({ name: 'exponential', schedule: '@every 1h' });
    await grpc.deleteByPrefix('');
  });

  it('a job scheduled over gRPC is delivered to the app over HTTP, not early', async () => {
    const before = Date.now();
    await grpc.schedule('deliver-me', { dueTime: '2s', data: { hello: ['grpc', 1] } });
    await node.receiver.waitFor(() => node.receiver.forJob('deliver-me').length === 1, 30_000, 'deliver-me');
    const [received] = node.receiver.forJob('deliver-me');
    expect(JSON.parse(received!.body)).toEqual({ hello: ['grpc', 1] });
    expect(received!.receivedAt).toBeGreaterThanOrEqual(before + 2_000);
    expect(received!.scheduledAt).toBeGreaterThanOrEqual(before + 2_000);
    expect(node.receiver.earlyDeliveries()).toEqual([]);
  });

  it('server errors are the DuetimeApiError DuetimeClient throws for the same request', async () => {
    const cases: Array<[string, JobSpec]> = [
      ['empty', { repeats: 2 }],
      ['bad-cron', { schedule: 'every tuesday' }],
      ['bad/name', { dueTime: '1h' }],
      ['ttl-before-due', { schedule: '@every 1h', dueTime: '2030-01-02T00:00:00Z', ttl: '2030-01-01T00:00:00Z' }],
    ];
    for (const [name, spec] of cases) {
      const overGrpc = await apiError(grpc.schedule(name, spec));
      const overHttp = await apiError(http.schedule(name, spec));
      expect(comparable(overGrpc), name).toEqual(comparable(overHttp));
      expect(overGrpc.grpcCode).toBe(status.INVALID_ARGUMENT);
    }
    const empty = await apiError(grpc.schedule('empty', { repeats: 2 }));
    expect([empty.status, empty.errorCode]).toEqual([400, 'DAPR_SCHEDULER_SCHEDULE_EMPTY']);
    expect(empty.details).toEqual([
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'DAPR_SCHEDULER_SCHEDULE_EMPTY', domain: 'dapr.io', metadata: null },
      { '@type': 'type.googleapis.com/google.rpc.BadRequest', field_violations: [{ field: 'schedule', description: empty.message }] },
    ]);

    await grpc.schedule('taken', { dueTime: '1h' });
    const taken = await apiError(grpc.schedule('taken', { dueTime: '2h' }));
    expect([taken.status, taken.grpcCode]).toEqual([409, status.ALREADY_EXISTS]);
    expect(comparable(taken)).toEqual(comparable(await apiError(http.schedule('taken', { dueTime: '2h' }))));
    await grpc.schedule('taken', { dueTime: '2h', overwrite: true });
    expect((await grpc.get('taken')).dueTime).toBe('2h');

    const missing = await apiError(grpc.get('never-was'));
    expect(comparable(missing)).toEqual(comparable(await apiError(http.get('never-was'))));

    // Over the message limit (--body-limit, 4 MiB): grpc-js refuses it before the handler, so
    // the status has no Dapr error code; the HTTP status is the same.
    const tooLarge = await apiError(grpc.schedule('big', { dueTime: '1h', data: 'x'.repeat(5 * 1024 * 1024) }));
    expect([tooLarge.status, tooLarge.errorCode, tooLarge.grpcCode]).toEqual([413, 'GRPC_RESOURCE_EXHAUSTED', status.RESOURCE_EXHAUSTED]);
    expect((await apiError(http.schedule('big', { dueTime: '1h', data: 'x'.repeat(5 * 1024 * 1024) }))).status).toBe(413);
    await grpc.deleteByPrefix('');
  });

  it('values protobuf would change are refused before sending, as the HTTP API refuses them', async () => {
    const cases: Array<[string, unknown]> = [
      ['negative-repeats', { schedule: '@every 1h', repeats: -1 }], // as a uint32: 4294967295
      ['fraction-repeats', { schedule: '@every 1h', repeats: 1.5 }],
      ['zero-repeats', { schedule: '@every 1h', repeats: 0 }],
      ['number-schedule', { schedule: 5 }],
    ];
    for (const [name, spec] of cases) {
      const overGrpc = await apiError(grpc.schedule(name, spec as JobSpec));
      const overHttp = await apiError(http.schedule(name, spec as JobSpec));
      expect([overGrpc.status, overGrpc.errorCode, overGrpc.message], name).toEqual([overHttp.status, overHttp.errorCode, overHttp.message]);
      expect(overGrpc.grpcCode, name).toBeUndefined(); // never sent
    }
    // An unknown field: over HTTP too, though the list of known fields differs (no snake_case here).
    const unknown = await apiError(grpc.schedule('unknown-field', { dueTime: '1h', dueTimes: '2h' } as JobSpec));
    expect([unknown.status, unknown.errorCode, unknown.message.split(';')[0]]).toEqual([400, 'DAPR_SCHEDULER_SCHEDULE_JOB', '"dueTimes" is not a job field']);
    const policy = await apiError(grpc.schedule('bad-interval', { dueTime: '1h', failurePolicy: { constant: { interval: 'soon' } } }));
    expect([policy.status, policy.errorCode]).toEqual([400, 'DAPR_SCHEDULER_SCHEDULE_JOB']);
    expect(policy.message).toContain('failurePolicy.constant.interval "soon"');
    // A negative interval is sent and the server refuses it.
    const negative = await apiError(grpc.schedule('negative-interval', { dueTime: '1h', failurePolicy: { constant: { interval: '-1s' } } }));
    expect([negative.status, negative.grpcCode]).toEqual([400, status.INVALID_ARGUMENT]);
    expect((await grpc.list()).jobs).toEqual([]);
  });

  it('refuses target, catchUp and the exponential policy instead of dropping them', async () => {
    const refused: Array<[string, JobSpec]> = [
      ['target', { dueTime: '1h', target: { pubsub: { name: 'p', topic: 't' } } }],
      ['catchUp', { schedule: '@every 1h', catchUp: 'none' }],
      ['failurePolicy.exponential', { schedule: '@every 1h', failurePolicy: { exponential: { maxRetries: 2 } } }],
    ];
    for (const [field, spec] of refused) {
      const error = await thrown(grpc.schedule('refused', spec));
      expect(error).not.toBeInstanceOf(DuetimeApiError);
      expect((error as Error).message.startsWith(`${field} is a Duetime extension`), (error as Error).message).toBe(true);
      expect((error as Error).message).toContain('with DuetimeClient (HTTP) instead');
    }
    expect((await apiError(grpc.get('refused'))).status).toBe(404); // nothing reached the server
    // Their defaults are what a gRPC job is anyway.
    await grpc.schedule('defaults', { dueTime: '1h', target: { app: {} }, catchUp: 'all' });
    const job = await http.get('defaults');
    expect(job).not.toHaveProperty('target');
    expect(job).not.toHaveProperty('catchUp');
    // list's paging has no field either.
    await expect(grpc.list({ limit: 10 } as { prefix?: string })).rejects.toThrow(/unpaged.*DuetimeClient \(HTTP\)/);
    await grpc.deleteByPrefix('');
  });

  it("one app cannot see, list or delete another app's jobs; namespaces too", async () => {
    const a = grpcClient({ appId: 'app-a' });
    const b = grpcClient({ appId: 'app-b' });
    const aElsewhere = grpcClient({ appId: 'app-a', namespace: 'elsewhere' });
    await a.schedule('secret', { dueTime: '1h', data: 'a' });
    expect((await apiError(b.get('secret'))).status).toBe(404);
    expect((await apiError(aElsewhere.get('secret'))).status).toBe(404);
    expect((await b.list()).jobs).toEqual([]);
    await b.delete('secret');
    await b.deleteByPrefix('');
    await aElsewhere.deleteByPrefix('');
    expect((await a.get('secret')).data).toBe('a');
    // The same name in another app is another job.
    await b.schedule('secret', { dueTime: '1h', data: 'b' });
    expect([(await a.get('secret')).data, (await b.get('secret')).data]).toEqual(['a', 'b']);
    // Without an appId: the server's --app-id ("app").
    await grpcClient().schedule('default-app-job', { dueTime: '1h' });
    expect((await node.call('GET', '/v1.0/jobs/default-app-job')).status).toBe(200);
    await grpcClient().delete('default-app-job');
  });

  it('a transport failure is the grpc-js error, not a DuetimeApiError', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const nowhere = new DuetimeGrpcClient({ address: `127.0.0.1:${closedPort}`, timeoutMs: 10_000 });
    try {
      const error = (await thrown(nowhere.get('x'))) as ServiceError;
      expect(error).not.toBeInstanceOf(DuetimeApiError);
      expect(error.code).toBe(status.UNAVAILABLE);
    } finally {
      nowhere.close();
    }
  });
});

describe('DuetimeGrpcClient with API tokens', () => {
  let secured: Node;
  beforeAll(async () => {
    const file = join(node.dataDir, 'grpc-tokens.yaml');
    writeFileSync(file, 'tokens:\n  - token: orders-token\n    appId: orders\n  - token: admin-token\n');
    secured = await startNode({ configFile: file });
  });
  afterAll(async () => {
    await secured?.close();
  });

  it('401 without a valid token, 403 acting as another app, the token app otherwise', async () => {
    const anonymous = await apiError(grpcClient({}, secured).list());
    expect([anonymous.status, anonymous.errorCode, anonymous.grpcCode]).toEqual([401, 'ERR_UNAUTHENTICATED', status.UNAUTHENTICATED]);
    expect((await apiError(grpcClient({ apiToken: 'wrong' }, secured).list())).status).toBe(401);
    const denied = await apiError(grpcClient({ apiToken: 'orders-token', appId: 'billing' }, secured).get('x'));
    expect([denied.status, denied.errorCode]).toEqual([403, 'ERR_PERMISSION_DENIED']);

    const orders = grpcClient({ apiToken: 'orders-token' }, secured);
    await orders.schedule('mine', { dueTime: '1h' });
    expect((await orders.get('mine')).name).toBe('mine');
    // The job is the token's app's: an unbound token naming that app sees it.
    expect((await grpcClient({ apiToken: 'admin-token', appId: 'orders' }, secured).list()).jobs.map((j) => j.name)).toEqual(['mine']);
    expect((await grpcClient({ apiToken: 'admin-token', appId: 'billing' }, secured).list()).jobs).toEqual([]);
  });
});

/** A unary call with a plain grpc-js client (for a payload the SDK does not send). */
function rawUnary(client: Client, method: string, request: object, headers: Record<string, string>): Promise<unknown> {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  const fn = (client as unknown as Record<string, (req: object, md: Metadata, cb: (error: ServiceError | null, response: unknown) => void) => void>)[method]!;
  return new Promise((resolve, reject) => fn.call(client, request, metadata, (error, response) => (error ? reject(error) : resolve(response))));
}
