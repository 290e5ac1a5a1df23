import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentRegistry } from '../../../src/adapters/components/index.js';
import type { OutputBinding } from '../../../src/core/ports/output-binding.js';
import { registryFromYaml, webhookBindingYaml } from './helpers.js';

// bindings.http against a real node:http receiver that records what it got. What every output
// binding must do (a refused or silent receiver, recovery, close) is in
// test/conformance/output-binding.suite.ts, run by test/integration/conformance/bindings-http.test.ts.

const CONNECT_TIMEOUT_MS = 1000;
const OPERATION_TIMEOUT_MS = 1000;

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let receiver: Server;
let recorded: Recorded[] = [];
let registry: ComponentRegistry;
let binding: OutputBinding;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      recorded.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (req.url?.startsWith('/api/fail')) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('overloaded, try later');
      } else {
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, got: body ? JSON.parse(body) : null }));
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  registry = await registryFromYaml(
    webhookBindingYaml(`http://127.0.0.1:${port}/api`, {
      securityToken: 'Bearer t0ken',
      connectTimeout: `${CONNECT_TIMEOUT_MS}ms`,
      operationTimeout: `${OPERATION_TIMEOUT_MS}ms`,
    }),
  );
  binding = registry.bindings.get('webhook')!;
});

afterAll(async () => {
  await registry?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('bindings.http', () => {
  it('maps create to a POST of the data as JSON, with metadata as headers and path appended', async () => {
    recorded = [];
    const response = await binding.invoke({ operation: 'create', data: { order: 5 }, metadata: { path: '/orders', 'X-Tenant': 'acme' } });
    expect(response).toEqual({ status: 201, data: { ok: true, got: { order: 5 } } });
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ method: 'POST', url: '/api/orders', body: '{"order":5}' });
    expect(recorded[0]!.headers).toMatchObject({ 'content-type': 'application/json', 'x-tenant': 'acme', authorization: 'Bearer t0ken' });
  });

  it.each([
    ['get', 'GET', ''],
    ['post', 'POST', '"x"'],
    ['put', 'PUT', '"x"'],
    ['patch', 'PATCH', '"x"'],
    ['delete', 'DELETE', '"x"'],
  ])('operation %s sends %s', async (operation, method, body) => {
    recorded = [];
    await binding.invoke({ operation, data: 'x', metadata: {} });
    expect(recorded[0]).toMatchObject({ method, url: '/api', body });
  });

  it('throws on a non-2xx answer, naming the status and the body', async () => {
    await expect(binding.invoke({ operation: 'create', data: 1, metadata: { path: 'fail' } })).rejects.toThrow(
      /binding "webhook" \(bindings\.http\): POST http:\/\/127\.0\.0\.1:\d+\/api\/fail answered 503: overloaded, try later/,
    );
    expect(binding.healthy()).toBe(true);
  });

  it('rejects an operation it does not know', async () => {
    await expect(binding.invoke({ operation: 'upsert', data: 1, metadata: {} })).rejects.toThrow(/operation "upsert" is not supported; use one of create, post, get/);
  });
});
