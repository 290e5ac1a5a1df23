// An app that does not answer within --delivery-timeout: the attempt fails and is retried.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from './support.js';

let node: Node;
beforeAll(async () => {
  node = await startNode({ deliveryTimeout: '300ms' });
});
afterAll(async () => {
  await node.close();
});

describe('delivery timeout', () => {
  it('a slow answer counts as a failed attempt and the policy retries', async () => {
    let calls = 0;
    node.receiver.respond = () => (++calls === 1 ? { status: 200, delayMs: 2_000 } : { status: 200 });
    await node.call('POST', '/v1.0/jobs/slow', { dueTime: '10ms', failurePolicy: { constant: { interval: '100ms', maxRetries: 2 } } });
    await node.receiver.waitFor(() => node.receiver.forJob('slow').length === 2, 15_000);
    const [first, second] = node.receiver.forJob('slow');
    expect(second!.headers['duetime-attempt']).toBe('2');
    // The second attempt comes once the first timed out: not before the timeout has run from
    // the earliest moment the first could be sent (its due instant; the receiver's own arrival
    // time is a few ms after the send, so it is no bound), and before the 2 s answer.
    const tickAt = Date.parse(String(first!.headers['duetime-scheduled-time']));
    expect(second!.receivedAt).toBeGreaterThanOrEqual(tickAt + 300);
    expect(second!.receivedAt).toBeLessThan(first!.receivedAt + 2_000);
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/slow')).body?.status?.state, { timeout: 5_000 }).toBe('completed');
    const history = node.receiver.forJob('slow');
    expect(history).toHaveLength(2);
    expect(node.receiver.earlyDeliveries()).toEqual([]);
  });
});
