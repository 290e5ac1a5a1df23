import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../../src/api/http/http-server.js';
import { startNode, type Node } from './support.js';

let node: Node;
beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node.close();
});

describe('GET /openapi.json', () => {
  it('describes every route the server registers', async () => {
    const res = await node.call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const described = new Set<string>();
    for (const [path, methods] of Object.entries(res.body.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(methods)) described.add(`${method.toUpperCase()} ${path}`);
    }
    // The dashboard's HTML pages and forms (/ui) are not API.
    const registered = registeredRoutes(node.duetime.http)
      .filter((r) => r.url !== '/ui' && !r.url.startsWith('/ui/'))
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(registered.length).toBeGreaterThan(10);
    const missing = registered.filter((r) => !described.has(r));
    expect(missing).toEqual([]);
  });
});

