// DuetimeClient and DuetimeGrpcClient given several addresses: a dead first address (nothing
// listens there) is skipped for the next one, and the client sticks with the one that answered;
// an error answer (4xx) is the answer, never a reason to ask another address. Two independent
// real single nodes (each its own SQLite), so "which node answered" is visible in the data.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuetimeApiError, DuetimeClient, DuetimeGrpcClient } from '@duetime/sdk';
import { freePort } from '../../../src/testing/servers/free-port.js';
import { startNode, type Node } from '../support.js';

let a: Node;
let b: Node;
let deadPort: number;

beforeAll(async () => {
  a = await startNode();
  b = await startNode();
  deadPort = await freePort(); // free a moment ago, and nothing of ours listens there
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

async function thrown(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('DuetimeClient with several base URLs', () => {
  it('fails over from a dead first address to the second, and stays there', async () => {
    const client = new DuetimeClient({ baseUrl: [`http://127.0.0.1:${deadPort}`, a.duetime.httpUrl], appId: 'fo', timeoutMs: 10_000 });
    await client.schedule('http-one', { dueTime: '1h', data: 1 });
    expect((await client.get('http-one')).data).toBe(1);
    expect((await a.call('GET', '/v1.0/jobs/http-one', undefined, { 'dapr-app-id': 'fo' })).status).toBe(200);
    const started = Date.now();
    for (let i = 0; i < 20; i++) await client.get('http-one');
    // Sticky: the dead address is not tried again while the live one answers.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a 4xx answer is thrown, not retried on the next address', async () => {
    await b.call('POST', '/v1.0/jobs/only-on-b', { dueTime: '1h' }, { 'dapr-app-id': 'fo' });
    const client = new DuetimeClient({ baseUrl: [a.duetime.httpUrl, b.duetime.httpUrl], appId: 'fo' });
    const error = await thrown(client.get('only-on-b'));
    expect(error).toBeInstanceOf(DuetimeApiError);
    expect((error as DuetimeApiError).status).toBe(404);
  });

  it('every address dead: the last connection error is thrown, naming the addresses', async () => {
    const other = await freePort();
    const client = new DuetimeClient({ baseUrl: [`http://127.0.0.1:${deadPort}`, `http://127.0.0.1:${other}`], timeoutMs: 5_000 });
    const error = await thrown(client.get('x'));
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(DuetimeApiError);
    expect((error as Error).message).toContain(String(deadPort));
    expect((error as Error).message).toContain(String(other));
  });
});

describe('DuetimeGrpcClient with several addresses', () => {
  it('fails over from a dead first address to the second', async () => {
    const client = new DuetimeGrpcClient({ address: [`127.0.0.1:${deadPort}`, `127.0.0.1:${a.duetime.grpcPort}`], appId: 'fo', timeoutMs: 10_000 });
    try {
      await client.schedule('grpc-one', { dueTime: '1h', data: 'g' });
      expect((await client.get('grpc-one')).data).toBe('g');
      expect((await a.call('GET', '/v1.0/jobs/grpc-one', undefined, { 'dapr-app-id': 'fo' })).status).toBe(200);
    } finally {
      client.close();
    }
  });

  it('a NOT_FOUND answer is thrown, not retried on the next address', async () => {
    await b.call('POST', '/v1.0/jobs/grpc-only-on-b', { dueTime: '1h' }, { 'dapr-app-id': 'fo' });
    const client = new DuetimeGrpcClient({ address: [`127.0.0.1:${a.duetime.grpcPort}`, `127.0.0.1:${b.duetime.grpcPort}`], appId: 'fo' });
    try {
      const error = await thrown(client.get('grpc-only-on-b'));
      expect(error).toBeInstanceOf(DuetimeApiError);
      expect((error as DuetimeApiError).status).toBe(404);
    } finally {
      client.close();
    }
  });
});
