import { describe, expect, it } from 'vitest';
import type { TxnRequest, TxnResponse } from '../../../src/adapters/store-etcd/etcd-api.js';
import type { EtcdClient } from '../../../src/adapters/store-etcd/etcd-client.js';
import { MAX_IN_FLIGHT, TxnBatcher } from '../../../src/adapters/store-etcd/txn-batcher.js';

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
});
