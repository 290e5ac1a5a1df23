// Exact statuses for bad input (issue 10 rows 10 and 14, item 6): a repeated or malformed query
// parameter is a 400 naming it, a bulk delete needs an explicit prefix, reminder names and actor
// ids follow Dapr's rules, undecodable gRPC messages are INVALID_ARGUMENT, an empty ScheduleJob
// is DAPR_SCHEDULER_EMPTY, and HTTP error bodies carry Dapr's ErrorInfo detail. Each refusal
// leaves the stored jobs as they were. A real server (SQLite, HTTP, both gRPC ports).

import { credentials, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { Client as GrpcClient } from '@grpc/grpc-js';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from './support.js';
import { daprRuntimeClient, daprSchedulerClient, grpcError, unary } from './grpc/helpers.js';

let node: Node;
let runtime: Client;
let scheduler: Client;

beforeAll(async () => {
  node = await startNode();
  runtime = daprRuntimeClient(node.duetime.grpcPort);
  scheduler = daprSchedulerClient(node.duetime.schedulerPort);
});
afterAll(async () => {
  runtime?.close();
  scheduler?.close();
  await node?.close();
});

const APP = { 'dapr-app-id': 'statuses' };
const listNames = async (): Promise<string[]> => ((await node.call('GET', '/v1.0/jobs?limit=1000', undefined, APP)).body.jobs as Array<{ name: string }>).map((j) => j.name);

interface ErrorDetail {
  '@type': string;
  reason?: string;
  domain?: string;
  field_violations?: Array<{ field: string; description: string }>;
}
const fieldOf = (body: { details: ErrorDetail[] }) => body.details.find((d) => d['@type'].endsWith('BadRequest'))?.field_violations?.[0]?.field;

describe('query parameters', () => {
  beforeAll(async () => {
    for (const name of ['q-1', 'q-2']) expect((await node.call('POST', `/v1.0/jobs/${name}`, { dueTime: '1h' }, APP)).status).toBe(204);
  });

  it.each([
    ['GET', '/v1.0/jobs?prefix=q&prefix=x', 'prefix'],
    ['DELETE', '/v1.0/jobs?prefix=q&prefix=x', 'prefix'],
    ['GET', '/v1.0/jobs?limit=1&limit=2', 'limit'],
    ['GET', '/v1.0/jobs/q-1/history?limit=1&limit=2', 'limit'],
    ['GET', '/v1.0/jobs?prefix=%ZZ', 'prefix'],
    ['DELETE', '/v1.0/jobs?prefix=%E2%82', 'prefix'],
    ['GET', '/v1.0/jobs?cursor=a&cursor=b', 'cursor'],
  ])('%s %s is 400 naming %s and changes nothing', async (method, path, field) => {
    const res = await node.call(method, path, undefined, APP);
    expect(res.status).toBe(400);
    expect(fieldOf(res.body)).toBe(field);
    expect(res.body.message).toContain(field);
    expect(await listNames()).toEqual(['q-1', 'q-2']);
  });

  it('DELETE /v1.0/jobs without a prefix is refused; prefix= deletes every job on purpose', async () => {
    const refused = await node.call('DELETE', '/v1.0/jobs', undefined, APP);
    expect(refused.status).toBe(400);
    expect(fieldOf(refused.body)).toBe('prefix');
    expect(refused.body.message).toContain('prefix=');
    expect(await listNames()).toEqual(['q-1', 'q-2']);

    const all = await node.call('DELETE', '/v1.0/jobs?prefix=', undefined, APP);
    expect(all.status).toBe(200);
    expect(all.body).toEqual({ deleted: 2 });
    expect(await listNames()).toEqual([]);
  });
});

describe("Dapr's error body", () => {
  it('an HTTP error carries ErrorInfo (reason = the error code, domain dapr.io) beside BadRequest', async () => {
    const res = await node.call('POST', '/v1.0/jobs/bad', { schedule: 'not a schedule' }, APP);
    expect(res.status).toBe(400);
    const info = (res.body.details as ErrorDetail[]).find((d) => d['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo');
    expect(info).toMatchObject({ reason: res.body.errorCode, domain: 'dapr.io' });
    expect(fieldOf(res.body)).toBe('schedule');
  });

  it('an error without a field (404) carries ErrorInfo too', async () => {
    const res = await node.call('GET', '/v1.0/jobs/absent', undefined, APP);
    expect(res.status).toBe(404);
    expect(res.body.details).toEqual([expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: res.body.errorCode, domain: 'dapr.io' })]);
  });
});

describe('reminder names and actor ids (Dapr rules)', () => {
  // fetch resolves "." and ".." segments (and %2E) before sending: node:http sends the path as is.
  const segment = (part: string) => encodeURIComponent(part).replace(/\./g, '%2E');
  const reminder = (type: string, id: string, name: string) => `/v1.0/actors/${segment(type)}/${segment(id)}/reminders/${segment(name)}`;
  const rawPost = (path: string, body: unknown) =>
    new Promise<{ status: number; body: { details: ErrorDetail[] } }>((resolve, reject) => {
      const url = new URL(node.duetime.httpUrl);
      const request = httpRequest({ host: url.hostname, port: url.port, path, method: 'POST', headers: { 'content-type': 'application/json', ...APP } }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      });
      request.on('error', reject);
      request.end(JSON.stringify(body));
    });

  it.each([
    ['name', 'Clock', 'a1', '.'],
    ['name', 'Clock', 'a1', '..'],
    ['name', 'Clock', 'a1', 'a/b'],
    ['name', 'Clock', 'a1', 'a\\b'],
    ['name', 'Clock', 'a1', 'a#b'],
    ['name', 'Clock', 'a1', 'a?b'],
    ['name', 'Clock', 'a1', 'a\u0001b'],
    ['actorId', 'Clock', '..', 'tick'],
    ['actorId', 'Clock', 'x/y', 'tick'],
    ['actorId', 'Clock', 'x\u007fy', 'tick'],
    ['actorType', '..', 'a1', 'tick'],
  ])('HTTP create refuses a bad %s (%s/%s/%s) with 400 and stores nothing', async (field, type, id, name) => {
    const res = await rawPost(reminder(type, id, name), { dueTime: '1h' });
    expect(res.status).toBe(400);
    expect(fieldOf(res.body)).toBe(field);
    const listed = await node.call('GET', `/v1.0/actors/Clock/a1/reminders`, undefined, APP);
    expect(listed.body.reminders).toEqual([]);
  });

  it('gRPC scheduler ScheduleJob refuses a reminder named ".." and an actor id with "/"', async () => {
    const actor = (id: string) => ({ appId: 'statuses', namespace: 'default', target: { actor: { type: 'Clock', id } } });
    const byName = await grpcError(unary(scheduler, 'ScheduleJob', { name: '..', job: { dueTime: '1h' }, metadata: actor('a1') }));
    expect(byName.code).toBe(status.INVALID_ARGUMENT);
    expect(byName.details).toMatch(/reminder name/);
    const byId = await grpcError(unary(scheduler, 'ScheduleJob', { name: 'tick', job: { dueTime: '1h' }, metadata: actor('x/y') }));
    expect(byId.code).toBe(status.INVALID_ARGUMENT);
    expect(byId.details).toMatch(/actor id/);
    const list = await unary<{ jobs: unknown[] }>(scheduler, 'ListJobs', { metadata: actor('') });
    expect(list.jobs).toEqual([]);
  });
});

describe('gRPC statuses', () => {
  /** Sends raw bytes as the request message of a unary method. */
  function rawCall(port: number, method: string, bytes: Buffer): Promise<ServiceError> {
    const client = new GrpcClient(`127.0.0.1:${port}`, credentials.createInsecure());
    return new Promise<ServiceError>((resolve, reject) => {
      client.makeUnaryRequest(
        method,
        (b: Buffer) => b,
        (b: Buffer) => b,
        bytes,
        new Metadata(),
        (error) => {
          client.close();
          if (error) resolve(error);
          else reject(new Error('an undecodable message was accepted'));
        },
      );
    });
  }

  it.each([
    ['runtime ScheduleJobAlpha1', 'grpcPort', '/dapr.proto.runtime.v1.Dapr/ScheduleJobAlpha1'],
    ['scheduler ScheduleJob', 'schedulerPort', '/dapr.proto.scheduler.v1.Scheduler/ScheduleJob'],
    ['scheduler GetJob', 'schedulerPort', '/dapr.proto.scheduler.v1.Scheduler/GetJob'],
  ] as const)('%s: undecodable bytes are INVALID_ARGUMENT, not INTERNAL', async (_label, port, method) => {
    // A tag with wire type 7, which protobuf does not have.
    const error = await rawCall(node.duetime[port], method, Buffer.from([0x0f]));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(/decode|message/i);
  });

  it('an empty runtime ScheduleJob reports DAPR_SCHEDULER_EMPTY', async () => {
    const error = await grpcError(unary(runtime, 'ScheduleJobAlpha1', {}, APP));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.metadata.get('dapr-error-code')).toEqual(['DAPR_SCHEDULER_EMPTY']);
    expect(error.details).toMatch(/job/);
  });
});
