// Limits on schedules, policies and rates (issue 10 rows 8, 9 and 15, docs/security.md "Limits on
// requests and stored jobs"), over HTTP and both gRPC APIs against a real server:
// - row 8: a job that would tick or retry faster than --min-interval is refused and makes no
//   outbound request (20 such jobs used to make 4,000-7,800 requests a second);
// - row 9: a megabyte of cron or of duration digits is refused by its length, before parsing;
// - row 15: a ttl that ends before the first tick is refused instead of a job that never fires;
// - per-app quotas: --schedule-rate-per-app and --max-jobs-per-app answer 429 with Retry-After
//   (HTTP) and RESOURCE_EXHAUSTED with retry-after (gRPC), and store nothing.

import { status, type Client, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from './support.js';
import { daprRuntimeClient, daprSchedulerClient, grpcError, unary } from './grpc/helpers.js';

const owner = (appId: string) => ({ appId, namespace: 'default', target: { job: {} } });
const as = (appId: string) => ({ 'dapr-app-id': appId });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('limits on what a request asks for (default flags)', () => {
  let node: Node;
  let scheduler: Client;
  let runtime: Client;

  beforeAll(async () => {
    node = await startNode();
    scheduler = daprSchedulerClient(node.duetime.schedulerPort);
    runtime = daprRuntimeClient(node.duetime.grpcPort);
  });
  afterAll(async () => {
    scheduler?.close();
    runtime?.close();
    await node?.close();
  });

  it('row 8: too-fast schedules and retries are refused naming the field and --min-interval, and nothing goes out', async () => {
    // The receiver fails every trigger, so a retry policy that was accepted would retry at once.
    node.receiver.respond = () => ({ status: 500 });
    const refused: Array<[string, unknown, string]> = [
      ['every-1ms', { schedule: '@every 1ms' }, 'schedule'],
      ['iso-fast', { schedule: '@every PT0.001S from 2026-01-01T00:00:00Z' }, 'schedule'],
      ['retry-0s', { dueTime: '0s', failurePolicy: { constant: { interval: '0s' } } }, 'failurePolicy.constant.interval'],
      ['expo-1ms', { dueTime: '0s', failurePolicy: { exponential: { initialInterval: '1ms', maxInterval: '1ms' } } }, 'failurePolicy.exponential.initialInterval'],
    ];
    for (const [name, body, field] of refused) {
      const res = await node.call('POST', `/v1.0/jobs/${name}`, body);
      expect(res.status, name).toBe(400);
      expect(res.body.message, name).toContain('--min-interval');
      expect(res.body.details[1].field_violations[0].field, name).toBe(field);
      expect((await node.call('GET', `/v1.0/jobs/${name}`)).status, name).toBe(404);
    }
    // The same over gRPC: Dapr's Duration-shaped interval, and the runtime API.
    const interval = await grpcError(
      unary(scheduler, 'ScheduleJob', { name: 'grpc-retry', job: { dueTime: '0s', failurePolicy: { constant: { interval: { nanos: 1_000_000 } } } }, metadata: owner('app') }),
    );
    expect(interval.code).toBe(status.INVALID_ARGUMENT);
    expect(interval.details).toContain('failurePolicy.constant.interval');
    expect(interval.details).toContain('--min-interval');
    const every = await grpcError(unary(runtime, 'ScheduleJobAlpha1', { job: { name: 'grpc-every', schedule: '@every 10ms' } }, as('app')));
    expect(every.code).toBe(status.INVALID_ARGUMENT);
    expect(every.details).toContain('--min-interval');
    // A reminder period in Dapr's ISO form.
    const reminder = await node.call('POST', '/v1.0/actors/Clock/c-1/reminders/fast', { dueTime: '0s', period: 'PT0.001S' });
    expect(reminder.status).toBe(400);
    expect(reminder.body.message).toContain('--min-interval');

    await sleep(1500);
    expect(node.receiver.received).toHaveLength(0);
  });

  it('row 9: a megabyte of cron or of digits is refused by its length, naming the field and the flag', async () => {
    const days = Array.from({ length: 300_000 }, (_, i) => String((i % 31) + 1)).join(',');
    const cron = await node.call('POST', '/v1.0/jobs/huge-cron', { schedule: `0 0 0 ${days} * *` });
    expect(cron.status).toBe(400);
    expect(cron.body.message).toContain('--max-schedule-length');
    expect(cron.body.details[1].field_violations[0].field).toBe('schedule');
    const due = await node.call('POST', '/v1.0/jobs/huge-due', { dueTime: `${'9'.repeat(1_000_000)}s` });
    expect(due.status).toBe(400);
    expect(due.body.message).toContain('--max-duration-length');
    const grpcDue = await grpcError(unary(scheduler, 'ScheduleJob', { name: 'huge-due', job: { dueTime: `${'9'.repeat(100_000)}s` }, metadata: owner('app') }));
    expect(grpcDue.code).toBe(status.INVALID_ARGUMENT);
    expect(grpcDue.details).toContain('--max-duration-length');
    for (const name of ['huge-cron', 'huge-due']) expect((await node.call('GET', `/v1.0/jobs/${name}`)).status).toBe(404);
  });

  it('row 15: a ttl that ends before the first tick is refused naming ttl, over HTTP and gRPC', async () => {
    for (const [name, ttl] of [['ttl-short', '1s'], ['ttl-negative', '-1h']] as const) {
      const res = await node.call('POST', `/v1.0/jobs/${name}`, { schedule: '@every 1h', ttl });
      expect(res.status, name).toBe(400);
      expect(res.body.details[1].field_violations[0].field, name).toBe('ttl');
      expect((await node.call('GET', `/v1.0/jobs/${name}`)).status, name).toBe(404);
    }
    const grpc = await grpcError(unary(scheduler, 'ScheduleJob', { name: 'ttl-grpc', job: { schedule: '@every 1h', ttl: '1s' }, metadata: owner('app') }));
    expect(grpc.code).toBe(status.INVALID_ARGUMENT);
    expect(grpc.details).toContain('ttl');
    expect((await node.call('POST', '/v1.0/jobs/ttl-ok', { schedule: '@every 1h', ttl: '2h' })).status).toBe(204);
  });
});

describe('a lower --min-interval', () => {
  it('lets a deployment that needs fast ticks have them', async () => {
    const node = await startNode({ minInterval: '20ms' });
    try {
      expect((await node.call('POST', '/v1.0/jobs/fast', { schedule: '@every 20ms', repeats: 3 })).status).toBe(204);
      await node.receiver.waitFor(() => node.receiver.received.length >= 3, 15_000, 'three ticks of @every 20ms');
      expect((await node.call('POST', '/v1.0/jobs/faster', { schedule: '@every 10ms' })).status).toBe(400);
    } finally {
      await node.close();
    }
  });
});

describe('per-app schedule rate (--schedule-rate-per-app, --schedule-burst-per-app)', () => {
  let node: Node;
  let scheduler: Client;

  beforeAll(async () => {
    node = await startNode({ scheduleRatePerApp: 1, scheduleBurstPerApp: 3 });
    scheduler = daprSchedulerClient(node.duetime.schedulerPort);
  });
  afterAll(async () => {
    scheduler?.close();
    await node?.close();
  });

  it('past the burst: 429 with Retry-After over HTTP, RESOURCE_EXHAUSTED with retry-after over gRPC; nothing stored; other apps unaffected', async () => {
    // The bucket holds 3 and refills 1 per second. On a loaded machine the calls themselves can
    // take a second or more, so the count accepted before the first refusal is bounded by the
    // burst plus what refilled meanwhile, not held to exactly 3.
    const began = Date.now();
    let accepted = 0;
    let res: Response | undefined;
    for (; accepted < 10; accepted++) {
      res = await fetch(`${node.duetime.httpUrl}/v1.0/jobs/r${accepted}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...as('greedy') },
        body: JSON.stringify({ dueTime: '1h' }),
      });
      if (res.status !== 204) break;
    }
    expect(accepted).toBeGreaterThanOrEqual(3);
    expect(accepted).toBeLessThanOrEqual(3 + Math.floor((Date.now() - began) / 1000));
    expect(res!.status).toBe(429);
    expect(Number(res!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await res!.json()) as { errorCode: string; message: string };
    expect(body.message).toContain('--schedule-rate-per-app');
    const refusedName = `r${accepted}`;
    expect((await node.call('GET', `/v1.0/jobs/${refusedName}`, undefined, as('greedy'))).status).toBe(404);

    // Over gRPC, the same bucket: refused unless a token refilled since the HTTP refusal.
    const refusedAt = Date.now();
    let grpcAccepted = 0;
    let grpc: ServiceError | undefined;
    while (grpcAccepted < 5 && grpc === undefined) {
      try {
        await unary(scheduler, 'ScheduleJob', { name: `g${grpcAccepted}`, job: { dueTime: '1h' }, metadata: owner('greedy') });
        grpcAccepted += 1;
      } catch (error) {
        grpc = error as ServiceError;
      }
    }
    expect(grpcAccepted).toBeLessThanOrEqual(Math.floor((Date.now() - refusedAt) / 1000));
    expect(grpc?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(grpc!.details).toContain('--schedule-rate-per-app');
    expect(Number(grpc!.metadata.get('retry-after')[0])).toBeGreaterThanOrEqual(1);

    // Another app has its own bucket.
    expect((await node.call('POST', '/v1.0/jobs/r0', { dueTime: '1h' }, as('modest'))).status).toBe(204);
    // After the bucket refills (1 per second), the greedy app may schedule again.
    await sleep(1200);
    expect((await node.call('POST', `/v1.0/jobs/${refusedName}`, { dueTime: '1h' }, as('greedy'))).status).toBe(204);
  });
});

describe('per-app job count (--max-jobs-per-app)', () => {
  let node: Node;
  let scheduler: Client;

  beforeAll(async () => {
    node = await startNode({ maxJobsPerApp: 2, scheduleRatePerApp: 0 });
    scheduler = daprSchedulerClient(node.duetime.schedulerPort);
  });
  afterAll(async () => {
    scheduler?.close();
    await node?.close();
  });

  it('a third job is refused with 429 / RESOURCE_EXHAUSTED; an overwrite is not a new job; a delete makes room', async () => {
    for (const name of ['a', 'b']) expect((await node.call('POST', `/v1.0/jobs/${name}`, { dueTime: '1h' }, as('full'))).status).toBe(204);
    const res = await node.call('POST', '/v1.0/jobs/c', { dueTime: '1h' }, as('full'));
    expect(res.status).toBe(429);
    expect(res.body.message).toContain('--max-jobs-per-app');
    const grpc = await grpcError(unary(scheduler, 'ScheduleJob', { name: 'c', job: { dueTime: '1h' }, metadata: owner('full') }));
    expect(grpc.code).toBe(status.RESOURCE_EXHAUSTED);
    expect((await node.call('GET', '/v1.0/jobs/c', undefined, as('full'))).status).toBe(404);

    expect((await node.call('POST', '/v1.0/jobs/a', { dueTime: '2h', overwrite: true }, as('full'))).status).toBe(204);
    expect((await node.call('POST', '/v1.0/jobs/x', { dueTime: '1h' }, as('roomy'))).status).toBe(204);
    expect((await node.call('DELETE', '/v1.0/jobs/b', undefined, as('full'))).status).toBe(204);
    expect((await node.call('POST', '/v1.0/jobs/c', { dueTime: '1h' }, as('full'))).status).toBe(204);
  });
});
