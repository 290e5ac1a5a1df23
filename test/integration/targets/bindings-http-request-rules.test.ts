// Issue 10 row 7: bindings.http request metadata could leave the component's base path
// (`path: ../../../admin`, also percent-encoded) and set Host, Authorization and hop-by-hop
// headers. Refused with 400 when the job is written, and by the component itself at delivery
// (a job stored before the rule), before any request leaves.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentRegistry } from '../../../src/adapters/components/index.js';
import { RecordingReceiver } from '../../../src/testing/recording-receiver.js';
import { registryFromYaml, webhookBindingYaml } from '../components/helpers.js';
import { startTargetNode, type TargetNode } from './helpers.js';

let hooks: RecordingReceiver;
let node: TargetNode;
let registry: ComponentRegistry;

const yaml = (url: string): string => webhookBindingYaml(`${url}/hooks/in`);

beforeAll(async () => {
  hooks = await new RecordingReceiver().start();
  node = await startTargetNode(yaml(hooks.url));
  registry = await registryFromYaml(yaml(hooks.url));
});

afterAll(async () => {
  await node?.close();
  await registry?.close();
  await hooks?.stop();
});

const TRAVERSALS = ['../../../admin', '/../admin', 'a/../../admin', '%2e%2e/%2e%2e/admin', '%2E%2E/admin', 'a/..%2f..%2fadmin', '..\\..\\admin', '.%2e/admin'];
// Absolute URLs and scheme-relative ones name another server, not a path below the base.
const ABSOLUTE = ['http://169.254.169.254/latest/meta-data', 'HTTPS://evil.example/x', '//evil.example/x', '\\\\evil.example\\x', 'file:///etc/passwd'];
const FORBIDDEN_HEADERS = ['Host', 'authorization', 'Cookie', 'Connection', 'Keep-Alive', 'Transfer-Encoding', 'TE', 'Trailer', 'Upgrade', 'Proxy-Authorization', 'proxy-connection', 'Content-Length'];

describe('bindings.http request metadata, when the job is written', () => {
  for (const path of TRAVERSALS) {
    it(`refuses path ${JSON.stringify(path)} with 400 naming the field`, async () => {
      const res = await node.call('POST', '/v1.0/jobs/escape', { dueTime: '1s', target: { binding: { name: 'webhook', operation: 'create', metadata: { path } } } });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^target\.binding\.metadata\.path .*base path \/hooks\/in/);
      expect((await node.call('GET', '/v1.0/jobs/escape')).status).toBe(404);
    });
  }

  for (const path of ABSOLUTE) {
    it(`refuses the absolute URL ${JSON.stringify(path)} as path with 400 naming the field`, async () => {
      const res = await node.call('POST', '/v1.0/jobs/absolute', { dueTime: '1s', target: { binding: { name: 'webhook', operation: 'create', metadata: { path } } } });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^target\.binding\.metadata\.path .*not a URL/);
      expect((await node.call('GET', '/v1.0/jobs/absolute')).status).toBe(404);
    });
  }

  for (const header of FORBIDDEN_HEADERS) {
    it(`refuses the ${header} header with 400 naming it`, async () => {
      const res = await node.call('POST', '/v1.0/jobs/header', { dueTime: '1s', target: { binding: { name: 'webhook', operation: 'create', metadata: { [header]: 'x' } } } });
      expect(res.status).toBe(400);
      expect(res.body.message).toContain(`target.binding.metadata.${header}`);
      expect((await node.call('GET', '/v1.0/jobs/header')).status).toBe(404);
    });
  }

  it('accepts a path that stays under the base path, and other headers', async () => {
    const res = await node.call('POST', '/v1.0/jobs/fine', { dueTime: '0s', data: 1, target: { binding: { name: 'webhook', operation: 'create', metadata: { path: 'a/../b/c', 'X-Tenant': 'acme' } } } });
    expect(res.status).toBe(204);
    await hooks.waitFor(() => hooks.received.some((r) => r.path === '/hooks/in/b/c'));
    expect(hooks.received.find((r) => r.path === '/hooks/in/b/c')!.headers['x-tenant']).toBe('acme');
  });
});

describe('bindings.http request metadata, at delivery', () => {
  it('refuses an escaping path or a forbidden header before sending anything', async () => {
    const binding = registry.bindings.get('webhook')!;
    const before = hooks.received.length;
    for (const path of TRAVERSALS) {
      await expect(binding.invoke({ operation: 'create', data: 1, metadata: { path } }), path).rejects.toThrow(/path .*base path \/hooks\/in/);
    }
    for (const path of ABSOLUTE) {
      await expect(binding.invoke({ operation: 'create', data: 1, metadata: { path } }), path).rejects.toThrow(/path .*not a URL/);
    }
    for (const header of FORBIDDEN_HEADERS) {
      await expect(binding.invoke({ operation: 'create', data: 1, metadata: { [header]: 'evil' } }), header).rejects.toThrow(new RegExp(`${header}.*cannot be set`));
    }
    expect(hooks.received.length).toBe(before);
  });
});
