// Property-based fuzzing of both gRPC ports (issue 10): the runtime jobs methods (50001) and the
// scheduler API (50006) with arbitrary well-typed messages (names, schedules, durations, Any
// payloads with any type URL and bytes, failure policies, owners and actor targets), and raw
// bytes sent as the request of every unary method. For every call: no INTERNAL, UNKNOWN or
// UNIMPLEMENTED; and a refused call leaves the fuzz app's jobs, its kept job and its kept
// reminder byte-identical (read over HTTP). Accepted calls are undone before the next run.

import { fromJson, toBinary } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import { credentials, Client as GrpcClient, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDuetimeProtos } from '@duetime/sdk/protocol';
import { startNode, type Node } from '../support.js';
import { anyText, jobName, KEPT } from './arbitraries.js';

const SEED = Number(process.env.DUETIME_FUZZ_SEED ?? 20261205);
const RUNS = Number(process.env.DUETIME_FUZZ_RUNS ?? 150);
const APP = 'fuzz';
// UNAVAILABLE and DEADLINE_EXCEEDED too: the server's own trouble (or no server), never the input's.
const FORBIDDEN = new Set<number>([status.INTERNAL, status.UNKNOWN, status.UNIMPLEMENTED, status.DATA_LOSS, status.UNAVAILABLE, status.DEADLINE_EXCEEDED]);

let node: Node;
let runtime: Client;
let scheduler: Client;
let raw: { runtime: GrpcClient; scheduler: GrpcClient };

beforeAll(async () => {
  node = await startNode();
  const protos = loadDuetimeProtos();
  runtime = new protos.RuntimeClient(`127.0.0.1:${node.duetime.grpcPort}`, credentials.createInsecure());
  scheduler = new protos.SchedulerClient(`127.0.0.1:${node.duetime.schedulerPort}`, credentials.createInsecure());
  raw = {
    runtime: new GrpcClient(`127.0.0.1:${node.duetime.grpcPort}`, credentials.createInsecure()),
    scheduler: new GrpcClient(`127.0.0.1:${node.duetime.schedulerPort}`, credentials.createInsecure()),
  };
});
afterAll(async () => {
  for (const client of [runtime, scheduler, raw?.runtime, raw?.scheduler]) client?.close();
  await node?.close();
});

const asApp = { 'dapr-app-id': APP };
const KEPT_ACTOR = '/v1.0/actors/Clock/kept/reminders';

async function snapshot(): Promise<string> {
  const parts = await Promise.all([
    node.call('GET', '/v1.0/jobs?limit=1000&prefix=', undefined, asApp),
    node.call('GET', `/v1.0/jobs/${KEPT}`, undefined, asApp),
    node.call('GET', KEPT_ACTOR, undefined, asApp),
  ]);
  return JSON.stringify(parts.map((p) => [p.status, p.text]));
}

async function reset(): Promise<void> {
  await node.call('DELETE', '/v1.0/jobs?prefix=', undefined, asApp);
  expect((await node.call('POST', `/v1.0/jobs/${KEPT}`, { dueTime: '24h', data: { kept: true } }, asApp)).status).toBe(204);
  await node.call('DELETE', `${KEPT_ACTOR}/${KEPT}`, undefined, asApp);
  expect((await node.call('POST', `${KEPT_ACTOR}/${KEPT}`, { dueTime: '24h' }, asApp)).status).toBe(204);
}

type Outcome = { ok: true } | { ok: false; error: ServiceError };

function callUnary(client: Client, method: string, request: object, headers: Record<string, string>): Promise<Outcome> {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  const fn = (client as unknown as Record<string, (req: object, md: Metadata, options: object, cb: (error: ServiceError | null) => void) => void>)[method]!;
  return new Promise((resolve) => fn.call(client, request, metadata, { deadline: Date.now() + 15_000 }, (error) => resolve(error ? { ok: false, error } : { ok: true })));
}

function callRaw(client: GrpcClient, path: string, bytes: Buffer): Promise<Outcome> {
  const metadata = new Metadata();
  metadata.set('dapr-app-id', APP);
  return new Promise((resolve) =>
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, metadata, { deadline: Date.now() + 15_000 }, (error) => resolve(error ? { ok: false, error } : { ok: true })),
  );
}

/** How many calls were accepted and refused: a property that saw only one kind tested little. */
const tally = { accepted: 0, refused: 0 };

async function check(what: string, call: () => Promise<Outcome>): Promise<void> {
  const before = await snapshot();
  const outcome = await call();
  tally[outcome.ok ? 'accepted' : 'refused'] += 1;
  if (outcome.ok) {
    await reset();
    return;
  }
  const { code, details } = outcome.error;
  expect(FORBIDDEN.has(code), `${what} -> ${status[code]}: ${details}`).toBe(false);
  expect(await snapshot(), `${what} was refused (${status[code]}: ${details}) but changed the state`).toBe(before);
}

async function property<T>(arbitrary: fc.Arbitrary<T>, run: (value: T) => Promise<void>, expectAccepted = true): Promise<void> {
  tally.accepted = tally.refused = 0;
  await fc.assert(fc.asyncProperty(arbitrary, run), { seed: SEED, numRuns: RUNS, endOnFailure: true });
  expect(tally.refused, 'calls refused').toBeGreaterThan(0);
  if (expectAccepted) expect(tally.accepted, 'calls accepted').toBeGreaterThan(0);
}

// --- message arbitraries (well-typed, so grpc-js can encode them; the values are the fuzz) ---

const VALUE_URL = 'type.googleapis.com/google.protobuf.Value';
const optionalText = (valid: string[]) => fc.option(fc.oneof(fc.constantFrom(...valid), anyText(16)), { nil: undefined });
const schedule = optionalText(['@every 1h', '0 0 * * * *', '@daily', 'R2/PT1H', 'PT1H', '@every 0s', '* * * * *']);
const dueTime = optionalText(['1h', '0s', '2030-01-01T00:00:00Z', 'PT1M', '-1s', '24h']);
const ttl = optionalText(['2h', '1s', '2031-01-01T00:00:00Z', 'P1D']);
const repeats = fc.option(fc.oneof(fc.nat({ max: 5 }), fc.constant(4294967295)), { nil: undefined });
const anyPayload = fc.option(
  fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((json) => ({ type_url: VALUE_URL, value: Buffer.from(toBinary(ValueSchema, fromJson(ValueSchema, json as never))) })),
    fc.record({ type_url: fc.oneof(fc.constantFrom(VALUE_URL, 'type.googleapis.com/google.protobuf.StringValue', ''), anyText(30)), value: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)) }),
  ),
  { nil: undefined },
);
const protoDuration = fc.record({ seconds: fc.oneof(fc.integer({ min: -5, max: 100 }), fc.constant('9223372036854775807')), nanos: fc.integer({ min: -1_000_000_000, max: 1_999_999_999 }) });
const failurePolicy = fc.option(
  fc.oneof(fc.constant({ drop: {} }), fc.record({ constant: fc.record({ interval: fc.option(protoDuration, { nil: undefined }), maxRetries: fc.option(fc.nat({ max: 5 }), { nil: undefined }) }, { requiredKeys: [] }) }), fc.constant({})),
  { nil: undefined },
);
const jobFields = fc.record({ schedule, dueTime, ttl, repeats, data: anyPayload, failurePolicy }, { requiredKeys: [] }).map((job) => Object.fromEntries(Object.entries(job).filter(([, v]) => v !== undefined)));
const owner = fc.record({
  appId: fc.oneof({ weight: 4, arbitrary: fc.constant(APP) }, { weight: 1, arbitrary: anyText(12) }),
  namespace: fc.oneof({ weight: 4, arbitrary: fc.constant('default') }, { weight: 1, arbitrary: anyText(8) }),
  target: fc.oneof(
    fc.constant({ job: {} }),
    fc.record({ actor: fc.record({ type: fc.oneof(fc.constant('Clock'), jobName), id: fc.oneof(fc.constantFrom('kept', ''), jobName) }) }),
    fc.constant({}),
  ),
});

describe('gRPC fuzz (fast-check, fixed seed)', () => {
  beforeAll(reset);

  it('runtime: ScheduleJob, GetJob, DeleteJob and DeleteJobsByPrefix with arbitrary messages', async () => {
    const request = fc.oneof(
      fc.record({ method: fc.constantFrom('ScheduleJobAlpha1', 'ScheduleJob'), request: fc.record({ job: fc.option(fc.tuple(jobName, jobFields).map(([name, job]) => ({ name, ...job })), { nil: undefined }), overwrite: fc.boolean() }, { requiredKeys: [] }) }),
      fc.record({ method: fc.constantFrom('GetJobAlpha1', 'DeleteJobAlpha1', 'GetJob', 'DeleteJob'), request: fc.record({ name: jobName }) }),
      fc.record({ method: fc.constantFrom('DeleteJobsByPrefixAlpha1', 'ListJobsAlpha1'), request: fc.record({ namePrefix: fc.option(jobName, { nil: undefined }) }, { requiredKeys: [] }) }),
    );
    await property(request, ({ method, request: message }) => check(`runtime ${method} ${JSON.stringify(message).slice(0, 300)}`, () => callUnary(runtime, method, message, asApp)));
  }, 120_000);

  it('scheduler: ScheduleJob, GetJob, DeleteJob, ListJobs and the bulk deletes with arbitrary owners and targets', async () => {
    const request = fc.oneof(
      fc.record({ method: fc.constant('ScheduleJob'), request: fc.record({ name: jobName, job: fc.option(jobFields, { nil: undefined }), metadata: fc.option(owner, { nil: undefined }), overwrite: fc.boolean() }, { requiredKeys: ['name'] }) }),
      fc.record({ method: fc.constantFrom('GetJob', 'DeleteJob'), request: fc.record({ name: jobName, metadata: owner }) }),
      fc.record({ method: fc.constant('ListJobs'), request: fc.record({ metadata: owner }) }),
      fc.record({ method: fc.constant('DeleteByNamePrefix'), request: fc.record({ namePrefix: jobName, metadata: owner }) }),
      fc.record({ method: fc.constant('DeleteByMetadata'), request: fc.record({ metadata: owner, idPrefixMatch: fc.boolean() }) }),
    );
    await property(request, ({ method, request: message }) => check(`scheduler ${method} ${JSON.stringify(message).slice(0, 300)}`, () => callUnary(scheduler, method, message, {})));
  }, 120_000);

  it('raw bytes as the request of every unary method of both services', async () => {
    const runtimeMethods = ['ScheduleJobAlpha1', 'ScheduleJob', 'GetJobAlpha1', 'DeleteJobAlpha1', 'DeleteJobsByPrefixAlpha1', 'ListJobsAlpha1'].map((m) => ['runtime', `/dapr.proto.runtime.v1.Dapr/${m}`] as const);
    const schedulerMethods = ['ScheduleJob', 'GetJob', 'DeleteJob', 'ListJobs', 'DeleteByMetadata', 'DeleteByNamePrefix'].map((m) => ['scheduler', `/dapr.proto.scheduler.v1.Scheduler/${m}`] as const);
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      // Well-formed tags with lengths that run past the end, and wire types protobuf lacks.
      fc.array(fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 7 }), fc.nat({ max: 200 })), { minLength: 1, maxLength: 4 }).map((fields) =>
        Uint8Array.from(fields.flatMap(([field, wire, length]) => [(field << 3) | wire, length & 0x7f])),
      ),
    );
    await property(fc.tuple(fc.constantFrom(...runtimeMethods, ...schedulerMethods), bytes), ([[port, path], payload]) =>
      check(`raw ${path} ${Buffer.from(payload).toString('hex')}`, () => callRaw(raw[port], path, Buffer.from(payload))),
      false,
    );
  }, 120_000);
});
