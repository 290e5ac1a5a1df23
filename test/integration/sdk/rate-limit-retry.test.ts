// Both SDK clients against a real Duetime whose per-app schedule quota is tiny (2 at once, 2 per
// second): a run of schedules slows to the server's pace and every job is stored; with
// rateLimitRetries 0 the 429 comes through with the server's wait, and nothing was stored.

import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuetimeApiError, DuetimeClient, DuetimeGrpcClient } from '@duetime/sdk';
import { startNode, type Node } from '../support.js';

let node: Node;
const grpcClients: DuetimeGrpcClient[] = [];

beforeAll(async () => {
  node = await startNode({ scheduleRatePerApp: 2, scheduleBurstPerApp: 2 });
});
afterAll(async () => {
  for (const client of grpcClients) client.close();
  await node?.close();
});

function http(appId: string, rateLimitRetries?: number): DuetimeClient {
  return new DuetimeClient({ baseUrl: node.duetime.httpUrl, appId, ...(rateLimitRetries !== undefined ? { rateLimitRetries } : {}) });
}

function grpc(appId: string, rateLimitRetries?: number): DuetimeGrpcClient {
  const client = new DuetimeGrpcClient({ address: `127.0.0.1:${node.duetime.grpcPort}`, appId, ...(rateLimitRetries !== undefined ? { rateLimitRetries } : {}) });
  grpcClients.push(client);
  return client;
}

async function rejection(promise: Promise<unknown>): Promise<DuetimeApiError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DuetimeApiError);
  return error as DuetimeApiError;
}

async function storedNames(appId: string): Promise<string[]> {
  return (await http(appId).list()).jobs.map((job) => job.name).sort();
}

describe.each([
  ['HTTP', http],
  ['gRPC', grpc],
] as const)('%s client under a schedule quota', (kind, client) => {
  it('waits out the 429s by default: five schedules past a burst of two are all stored', async () => {
    const app = `patient-${kind}`;
    const sdk = client(app);
    for (let i = 0; i < 5; i++) await sdk.schedule(`job-${i}`, { dueTime: '1h' });
    expect(await storedNames(app)).toEqual(['job-0', 'job-1', 'job-2', 'job-3', 'job-4']);
  });

  it('with rateLimitRetries 0 throws the 429 with the server\'s wait, and stores nothing', async () => {
    const app = `hasty-${kind}`;
    const sdk = client(app, 0);
    await sdk.schedule('a', { dueTime: '1h' });
    await sdk.schedule('b', { dueTime: '1h' });
    const error = await rejection(sdk.schedule('c', { dueTime: '1h' }));
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(error.message).toContain('--schedule-rate-per-app');
    if (kind === 'gRPC') expect(error.grpcCode).toBe(status.RESOURCE_EXHAUSTED);
    expect(await storedNames(app)).toEqual(['a', 'b']);
  });
});
