// A bug in an event listener (metrics, logs, a plugin) must not reach the engine. Before
// listeners were isolated, a listener that threw on 'dispatched' escaped from the timer callback
// that fires due jobs: with the real clock, an uncaught exception that ends the process, and a
// job left counted in flight for good.

import { afterEach, expect, it } from 'vitest';
import { startNode, type Node } from './support.js';

let node: Node | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

it('a throwing listener is counted and logged; every tick is still delivered and the job finishes', async () => {
  node = await startNode();
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown): void => void uncaught.push(error);
  process.on('uncaughtException', onUncaught);
  try {
    for (const event of ['dispatched', 'attempted', 'finished'] as const) {
      node.duetime.engine.events.on(event, () => {
        throw new Error(`a bug in a ${event} listener`);
      });
    }
    expect((await node.call('POST', '/v1.0/jobs/tick', { schedule: '@every 1s', repeats: 3 })).status).toBe(204);
    await node.receiver.waitFor(() => node!.receiver.forJob('tick').length === 3, 15_000, 'three ticks');
    await expect.poll(async () => (await node!.call('GET', '/v1.0/jobs/tick')).body?.status?.state, { timeout: 10_000 }).toBe('completed');
    expect(node.duetime.engine.stats()).toMatchObject({ inFlight: 0 });
    expect(node.duetime.engine.stats().listenerErrors).toBeGreaterThanOrEqual(7);
    const metrics = (await node.call('GET', '/metrics')).text;
    expect(metrics).toMatch(/^duetime_engine_errors_total\{context="listener:dispatched"\} [3-9]/m);
    expect(uncaught).toEqual([]);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});
