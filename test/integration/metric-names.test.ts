// The names on /metrics follow Prometheus conventions: Duetime's own under duetime_, the Node.js
// process metrics under the client library's standard names (process_*, nodejs_*) that existing
// dashboards use, and no name with a doubled prefix (duetime_process_process_...).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from './support.js';

let node: Node;

beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node.close();
});

describe('metric names', () => {
  it('have no doubled prefix, and the process metrics have their standard names', async () => {
    const text = (await node.call('GET', '/metrics')).text;
    const names = [...new Set(text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]!))];
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      const parts = name.split('_');
      expect(parts.some((part, i) => i > 0 && part === parts[i - 1]), name).toBe(false);
      expect(name, name).toMatch(/^(duetime|process|nodejs)_/);
    }
    expect(names).toContain('process_resident_memory_bytes');
    expect(names).toContain('nodejs_heap_size_used_bytes');
    expect(names).toContain('nodejs_eventloop_lag_seconds');
    expect(names).toContain('duetime_trigger_lateness_seconds');
    expect(names).toContain('duetime_event_loop_delay_seconds');
  });
});
