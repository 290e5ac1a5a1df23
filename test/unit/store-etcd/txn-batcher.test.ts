import { describe, expect, it } from 'vitest';
import type { TxnRequest, TxnResponse } from '../../../src/adapters/store-etcd/etcd-api.js';
import type { EtcdClient } from '../../../src/adapters/store-etcd/etcd-client.js';
import { LINGER_FILL, MAX_IN_FLIGHT, TxnBatcher } from '../../../src/adapters/store-etcd/txn-batcher.js';

/** An etcd client whose Txn calls wait until the test answers them; every nested transaction succeeds. */
function heldClient(): { client: EtcdClient; calls: TxnRequest[]; answer(i: number): void } {
  const calls: TxnRequest[] = [];
  const answers: Array<() => void> = [];
  const client = {
    txn: (request: TxnRequest) =>
      new Promise<TxnResponse>((resolve) => {
        calls.push(request);
        const nested = request.success.filter((op) => 'requestTxn' in op);
        answers.push(() =>
          resolve({
            header: { revision: String(calls.indexOf(request) + 10) },
            succeeded: true,
            responses: nested.length > 0 ? nested.map(() => ({ response: 'responseTxn', responseTxn: { header: { revision: '0' }, succeeded: true, responses: [] } })) : [],
          }),
        );
      }),
  } as unknown as EtcdClient;
  return { client, calls, answer: (i) => answers[i]!() };
}

const request = (n: number): TxnRequest => ({ compare: [], success: [{ requestPut: { key: Buffer.from(`k${n}`), value: Buffer.alloc(0) } }], failure: [] });
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('TxnBatcher', () => {
  it('sends a lone transaction on the next turn, as itself', async () => {
    const { client, calls, answer } = heldClient();
    const batcher = new TxnBatcher(client);
    const done = batcher.txn(request(1));
    await nextTurn();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.success[0]).toHaveProperty('requestPut');
    answer(0);
    await expect(done).resolves.toMatchObject({ succeeded: true, revision: 10 });
  });

  it('while the cap of batches is in flight, queues what arrives over many turns and sends it as one batch when one answers', async () => {
    const { client, calls, answer } = heldClient();
    const batcher = new TxnBatcher(client);
    for (let i = 0; i < MAX_IN_FLIGHT; i++) {
      void batcher.txn(request(i));
      await nextTurn();
    }
    expect(calls).toHaveLength(MAX_IN_FLIGHT);
    const later: Array<Promise<unknown>> = [];
    for (let i = 0; i < 10; i++) {
      later.push(batcher.txn(request(100 + i)));
      await nextTurn();
    }
    expect(calls).toHaveLength(MAX_IN_FLIGHT); // nothing more sent while the cap is reached
    answer(0);
    await nextTurn();
    expect(calls).toHaveLength(MAX_IN_FLIGHT + 1);
    expect(calls[MAX_IN_FLIGHT]!.success).toHaveLength(10); // the ten, nested in one request
    answer(MAX_IN_FLIGHT);
    for (const p of later) await expect(p).resolves.toMatchObject({ succeeded: true, revision: MAX_IN_FLIGHT + 10 });
  });

  it('on a busy store (a batch sent within lingerMs), lets a lingering transaction wait for company even with nothing in flight', async () => {
    const { client, calls, answer } = heldClient();
    const batcher = new TxnBatcher(client);
    const first = batcher.txn(request(0), { lingerMs: 40 }); // quiet: leaves at once
    await nextTurn();
    expect(calls).toHaveLength(1);
    answer(0);
    await first;
    const second = batcher.txn(request(1), { lingerMs: 40 });
    await nextTurn();
    expect(calls).toHaveLength(1); // nothing in flight, but a batch left moments ago
    await sleep(60);
    expect(calls).toHaveLength(2);
    answer(1);
    await expect(second).resolves.toMatchObject({ succeeded: true });
    await sleep(60);
    void batcher.txn(request(2), { lingerMs: 40 }); // quiet again
    await nextTurn();
    expect(calls).toHaveLength(3);
    answer(2);
  });

  it('with a batch in flight, lets lingering transactions wait for company until the oldest is lingerMs old', async () => {
    const { client, calls, answer } = heldClient();
    const batcher = new TxnBatcher(client);
    void batcher.txn(request(0), { lingerMs: 40 }); // nothing in flight: leaves at once
    await nextTurn();
    expect(calls).toHaveLength(1);
    const first = batcher.txn(request(1), { lingerMs: 40 });
    await nextTurn();
    expect(calls).toHaveLength(1); // a free slot, but it waits for company
    const second = batcher.txn(request(2), { lingerMs: 40 });
    await sleep(60);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.success).toHaveLength(2); // both, one request
    answer(0);
    answer(1);
    await expect(first).resolves.toMatchObject({ succeeded: true });
    await expect(second).resolves.toMatchObject({ succeeded: true });
  });

  it('sends lingering transactions at once when enough wait, or when one that may not wait joins them', async () => {
    const { client, calls, answer } = heldClient();
    const batcher = new TxnBatcher(client);
    void batcher.txn(request(0));
    await nextTurn();
    for (let i = 0; i < LINGER_FILL; i++) void batcher.txn(request(100 + i), { lingerMs: 10_000 });
    await nextTurn();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.success).toHaveLength(LINGER_FILL);
    answer(1);
    await nextTurn();
    void batcher.txn(request(200), { lingerMs: 10_000 });
    await nextTurn();
    expect(calls).toHaveLength(2);
    void batcher.txn(request(201)); // an API write: no waiting
    await nextTurn();
    expect(calls).toHaveLength(3);
    expect(calls[2]!.success).toHaveLength(2);
    answer(0);
    answer(2);
  });
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
