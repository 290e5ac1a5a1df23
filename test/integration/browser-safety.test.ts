// Browser-facing safety (issue 10, row 6): a web page cannot drive the API. A cross-site
// "simple" request (text/plain, a foreign Origin) and a DNS-rebound one (a foreign Host) are
// refused and create nothing; JSON routes take only JSON bodies (415 otherwise); there is no CORS
// unless --cors-origins names the origin. Dapr clients keep working: JSON with or without a
// charset, and no body at all where none is needed.

import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from './support.js';

let node: Node;
let withCors: Node;

beforeAll(async () => {
  node = await startNode();
  withCors = await startNode({ corsOrigins: 'https://admin.example.com' });
});
afterAll(async () => {
  await node?.close();
  await withCors?.close();
});

/** A raw request (undici sends the Host header we give it, which fetch would not). */
async function send(target: Node, method: string, path: string, headers: Record<string, string>, body?: string) {
  const response = await request(`${target.duetime.httpUrl}${path}`, { method: method as 'POST', headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.body.text();
  let parsed: { errorCode?: string; message?: string } | undefined;
  try {
    parsed = text ? (JSON.parse(text) as typeof parsed) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.statusCode, headers: response.headers, body: parsed };
}

const job = JSON.stringify({ dueTime: '1h', data: { from: 'a web page' } });

describe('a cross-site request', () => {
  it('text/plain with a foreign Origin is refused and creates nothing', async () => {
    const res = await send(node, 'POST', '/v1.0/jobs/csrf', { 'content-type': 'text/plain;charset=UTF-8', origin: 'http://evil.example' }, job);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body?.errorCode).toBeTypeOf('string');
    expect((await node.call('GET', '/v1.0/jobs/csrf')).status).toBe(404);
  });

  it('text/plain with a foreign Origin and a foreign Host (DNS rebinding) is refused and creates nothing', async () => {
    const port = new URL(node.duetime.httpUrl).port;
    const res = await send(node, 'POST', '/v1.0/jobs/rebound', { host: `evil.example:${port}`, 'content-type': 'text/plain', origin: `http://evil.example:${port}` }, job);
    expect(res.status).toBe(403);
    expect((await node.call('GET', '/v1.0/jobs/rebound')).status).toBe(404);
  });

  it('a foreign Host is refused even with a JSON body and no Origin', async () => {
    const port = new URL(node.duetime.httpUrl).port;
    const res = await send(node, 'POST', '/v1.0/jobs/rebound2', { host: `attacker.example:${port}`, 'content-type': 'application/json' }, job);
    expect(res.status).toBe(403);
    expect(res.body?.errorCode).toBe('ERR_HOST_NOT_ALLOWED');
    expect((await node.call('GET', '/v1.0/jobs/rebound2')).status).toBe(404);
  });

  it('a JSON POST with a foreign Origin is refused (no CORS configured)', async () => {
    const res = await send(node, 'POST', '/v1.0/jobs/cors', { 'content-type': 'application/json', origin: 'https://evil.example' }, job);
    expect(res.status).toBe(403);
    expect(res.body?.errorCode).toBe('ERR_ORIGIN_NOT_ALLOWED');
    expect((await node.call('GET', '/v1.0/jobs/cors')).status).toBe(404);
  });

  it('a preflight gets no CORS headers unless the origin is configured', async () => {
    const preflight = { origin: 'https://admin.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' };
    const none = await send(node, 'OPTIONS', '/v1.0/jobs/x', preflight);
    expect(none.headers['access-control-allow-origin']).toBeUndefined();
    const allowed = await send(withCors, 'OPTIONS', '/v1.0/jobs/x', preflight);
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://admin.example.com');
    const other = await send(withCors, 'OPTIONS', '/v1.0/jobs/x', { ...preflight, origin: 'https://evil.example' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    // The configured origin may call; the answer says so.
    const post = await send(withCors, 'POST', '/v1.0/jobs/from-admin', { 'content-type': 'application/json', origin: 'https://admin.example.com' }, job);
    expect(post.status).toBe(204);
    expect(post.headers['access-control-allow-origin']).toBe('https://admin.example.com');
  });
});

describe('JSON routes take JSON', () => {
  it('text/plain without an Origin (curl -d) is refused with 415 and a Dapr-style body', async () => {
    const res = await send(node, 'POST', '/v1.0/jobs/plain', { 'content-type': 'text/plain' }, job);
    expect(res.status).toBe(415);
    expect(res.body?.errorCode).toBe('ERR_MALFORMED_REQUEST');
    expect(res.body?.message).toMatch(/application\/json/);
    expect((await node.call('GET', '/v1.0/jobs/plain')).status).toBe(404);
  });

  it('form-encoded and a body without content-type are refused with 415', async () => {
    expect((await send(node, 'POST', '/v1.0/jobs/form', { 'content-type': 'application/x-www-form-urlencoded' }, job)).status).toBe(415);
    expect((await send(node, 'POST', '/v1.0/jobs/bare', {}, job)).status).toBe(415);
    expect((await send(node, 'PUT', '/v1.0/apps/bare', { 'content-type': 'text/plain' }, JSON.stringify({ url: 'http://127.0.0.1:1' }))).status).toBe(415);
    expect((await node.call('GET', '/v1.0/jobs/form')).status).toBe(404);
    expect((await node.call('GET', '/v1.0/jobs/bare')).status).toBe(404);
  });

  it('Dapr clients keep working: JSON with a charset, a same-origin page, and no body where none is needed', async () => {
    expect((await send(node, 'POST', '/v1.0-alpha1/jobs/dapr', { 'content-type': 'application/json; charset=utf-8' }, job)).status).toBe(204);
    const origin = new URL(node.duetime.httpUrl).origin;
    expect((await send(node, 'POST', '/v1.0/jobs/same-origin', { 'content-type': 'application/json', origin }, job)).status).toBe(204);
    // Manual trigger and pause take no body, with or without a content-type.
    expect((await send(node, 'POST', '/v1.0/jobs/dapr/pause', {})).status).toBe(200);
    expect((await send(node, 'POST', '/v1.0/jobs/dapr/resume', { 'content-type': 'application/json' })).status).toBe(200);
    expect((await send(node, 'DELETE', '/v1.0/jobs/dapr', {})).status).toBe(204);
    // Reads carry no body and any Host naming this server: localhost, an IP.
    const port = new URL(node.duetime.httpUrl).port;
    expect((await send(node, 'GET', '/healthz', { host: `localhost:${port}` })).status).toBe(200);
    expect((await send(node, 'GET', '/healthz', { host: `127.0.0.1:${port}` })).status).toBe(200);
  });
});
