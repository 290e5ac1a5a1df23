// AppRegistry over the memory store: registrations written through and loaded at start, other
// replicas' changes applied (each registry is a replica; they share one MemoryRegistrationSpace),
// a replica's own configuration kept against other replicas' configurations, and store failures
// reported as "unavailable".

import { describe, expect, it } from 'vitest';
import { MemoryAppRegistrations, MemoryRegistrationSpace } from '../../../src/adapters/store-memory/memory-app-registrations.js';
import { AppRegistry, type ConfiguredApp } from '../../../src/app/app-registry.js';
import { InvalidRequestError, UnavailableError } from '../../../src/core/errors.js';
import type { AppRegistrations } from '../../../src/core/ports/app-registrations.js';

const NS = 'default';
const url = (registry: AppRegistry, appId: string) => registry.endpoint(NS, appId)?.url;
const configured = (appId: string, at: string): ConfiguredApp => ({ namespace: NS, appId, endpoint: { url: at, actorTypes: [] } });

async function replica(space: MemoryRegistrationSpace, config: ConfiguredApp[] = []): Promise<{ registry: AppRegistry; registered: string[] }> {
  const registry = new AppRegistry(new MemoryAppRegistrations(space));
  const registered: string[] = [];
  registry.onRegistered((namespace, appId) => registered.push(`${namespace}/${appId}`));
  await registry.start(config);
  return { registry, registered };
}

describe('AppRegistry', () => {
  it('writes a registration through, and a new registry on the same store (a restart) loads it', async () => {
    const space = new MemoryRegistrationSpace();
    const { registry, registered } = await replica(space);
    await registry.register(NS, 'orders', { url: 'http://127.0.0.1:8080///', actorTypes: ['Cart'], token: 't' });
    expect(registry.endpoint(NS, 'orders')).toEqual({ url: 'http://127.0.0.1:8080', actorTypes: ['Cart'], token: 't' });
    expect(registered).toEqual(['default/orders']); // once, though the store reported the write too
    await registry.register(NS, 'gone', { url: 'http://g', actorTypes: [] });
    await registry.unregister(NS, 'gone');
    expect(registry.endpoint(NS, 'gone')).toBeUndefined();
    await registry.close();

    const restarted = await replica(space);
    expect(restarted.registry.list()).toEqual([{ namespace: NS, appId: 'orders', url: 'http://127.0.0.1:8080', actorTypes: ['Cart'], token: 't' }]);
    expect(restarted.registered).toEqual(['default/orders']);
  });

  it('applies registrations and removals made on another replica, calling its listeners', async () => {
    const space = new MemoryRegistrationSpace();
    const a = await replica(space);
    const b = await replica(space);
    await a.registry.register(NS, 'orders', { url: 'http://a', actorTypes: [] });
    expect(url(b.registry, 'orders')).toBe('http://a');
    expect(b.registered).toEqual(['default/orders']);
    await b.registry.register(NS, 'orders', { url: 'http://b', actorTypes: [] });
    expect(url(a.registry, 'orders')).toBe('http://b');
    await b.registry.unregister(NS, 'orders');
    expect(url(a.registry, 'orders')).toBeUndefined();
    expect(a.registry.list()).toEqual([]);
  });

  it('writes its configured apps at start; a replica keeps its own configuration, an API registration replaces it everywhere', async () => {
    const space = new MemoryRegistrationSpace();
    const a = await replica(space, [configured('default', 'http://a/')]);
    expect(url(a.registry, 'default')).toBe('http://a');
    // A replica without configuration of its own learns it.
    const plain = await replica(space);
    expect(url(plain.registry, 'default')).toBe('http://a');
    // Another replica configured differently: each keeps its own; the store holds the latest.
    const b = await replica(space, [configured('default', 'http://b')]);
    expect(url(b.registry, 'default')).toBe('http://b');
    expect(url(a.registry, 'default')).toBe('http://a');
    expect(url(plain.registry, 'default')).toBe('http://b');
    // Through the API: every replica, configured or not.
    await plain.registry.register(NS, 'default', { url: 'http://api', actorTypes: [] });
    for (const r of [a, b, plain]) expect(url(r.registry, 'default')).toBe('http://api');
    // And a later start-up configuration is written again.
    const c = await replica(space, [configured('default', 'http://c')]);
    expect(url(c.registry, 'default')).toBe('http://c');
    expect(url(plain.registry, 'default')).toBe('http://c');
    expect(url(a.registry, 'default')).toBe('http://c'); // its own configuration gave way to the API's until it restarts
  });

  it('does not write a configured app the store already holds as configured', async () => {
    const space = new MemoryRegistrationSpace();
    await replica(space, [configured('default', 'http://a')]);
    const revision = space.revision;
    await replica(space, [configured('default', 'http://a')]);
    expect(space.revision).toBe(revision);
  });

  it('ignores a change older than one it applied', async () => {
    const space = new MemoryRegistrationSpace();
    const { registry } = await replica(space);
    await registry.register(NS, 'orders', { url: 'http://new', actorTypes: [] });
    // A stale report, as a slow watch could deliver after the write it preceded.
    space.publish({ kind: 'put', registration: { namespace: NS, appId: 'orders', endpoint: { url: 'http://old', actorTypes: [] }, origin: 'api' }, revision: 0 });
    expect(url(registry, 'orders')).toBe('http://new');
  });

  it('reports a store failure as unavailable and changes nothing', async () => {
    const space = new MemoryRegistrationSpace();
    const store = new MemoryAppRegistrations(space);
    const failing: AppRegistrations = {
      list: () => store.list(),
      follow: (listener) => store.follow(listener),
      close: () => store.close(),
      put: () => Promise.reject(new Error('SQLITE_IOERR: disk I/O error')),
      delete: () => Promise.reject(new Error('SQLITE_IOERR: disk I/O error')),
    };
    const registry = new AppRegistry(failing);
    await registry.start();
    await expect(registry.register(NS, 'orders', { url: 'http://a', actorTypes: [] })).rejects.toBeInstanceOf(UnavailableError);
    expect(registry.endpoint(NS, 'orders')).toBeUndefined();
    await expect(registry.unregister(NS, 'orders')).rejects.toThrow(/could not be stored.*disk I\/O error/);
  });

  it('asks refuseRegistration before storing a registration through the API: a refusal is thrown and nothing is stored, on any replica', async () => {
    const space = new MemoryRegistrationSpace();
    const asked: string[] = [];
    const registry = new AppRegistry(new MemoryAppRegistrations(space), {
      refuseRegistration: (namespace, appId, endpoint) => {
        asked.push(`${namespace}/${appId} ${endpoint.url}`);
        if (endpoint.token === 'refused') throw new InvalidRequestError('ERR_MALFORMED_REQUEST', 'token is refused', 'token');
      },
    });
    await registry.start([configured('configured', 'http://c')]); // the start's own apps are checked where they are read
    const other = await replica(space);
    await registry.register(NS, 'orders', { url: 'http://a/', actorTypes: [], token: 'kept' });
    await expect(registry.register(NS, 'orders', { url: 'http://moved', actorTypes: [], token: 'refused' })).rejects.toThrow(InvalidRequestError);
    await expect(registry.register(NS, 'billing', { url: 'http://b', actorTypes: [], token: 'refused' })).rejects.toThrow('token is refused');
    expect(asked).toEqual(['default/orders http://a', 'default/orders http://moved', 'default/billing http://b']);
    for (const r of [registry, other.registry]) {
      expect(r.endpoint(NS, 'orders')).toEqual({ url: 'http://a', actorTypes: [], token: 'kept' });
      expect(r.endpoint(NS, 'billing')).toBeUndefined();
    }
    expect([...space.entries.values()].map((e) => e.appId).sort()).toEqual(['configured', 'orders']);
    expect(other.registered).toEqual(['default/configured', 'default/orders']); // loaded at its start, then the one stored
  });

  it('appTokens(): the token of every app it holds, another replica\'s registrations and one still being stored included', async () => {
    const space = new MemoryRegistrationSpace();
    const store = new MemoryAppRegistrations(space);
    // A store whose writes wait for the test (a registration caught mid-write), then succeed or fail.
    const waiting: Array<(outcome: 'stored' | 'failed') => void> = [];
    const slow: AppRegistrations = {
      list: () => store.list(),
      follow: (listener) => store.follow(listener),
      close: () => store.close(),
      put: async (registration) => {
        const outcome = await new Promise<'stored' | 'failed'>((resolve) => waiting.push(resolve));
        if (outcome === 'failed') throw new Error('SQLITE_FULL: database or disk is full');
        return store.put(registration);
      },
      delete: (namespace, appId) => store.delete(namespace, appId),
    };
    const registry = new AppRegistry(slow);
    const starting = registry.start([{ namespace: NS, appId: 'configured', endpoint: { url: 'http://c', actorTypes: [], token: 'to-configured' } }]);
    await expect.poll(() => waiting.length).toBe(1);
    waiting.shift()!('stored');
    await starting;
    const other = await replica(space);
    await other.registry.register('elsewhere', 'billing', { url: 'http://b', actorTypes: [], token: 'to-billing' });
    await other.registry.register(NS, 'tokenless', { url: 'http://t', actorTypes: [] });
    const sorted = () => registry.appTokens().sort((a, b) => a.appId.localeCompare(b.appId));

    const storing = registry.register(NS, 'orders', { url: 'http://o', actorTypes: [], token: 'to-orders' });
    await expect.poll(() => waiting.length).toBe(1);
    expect(sorted()).toEqual([
      { namespace: 'elsewhere', appId: 'billing', token: 'to-billing' },
      { namespace: NS, appId: 'configured', token: 'to-configured' },
      { namespace: NS, appId: 'orders', token: 'to-orders' },
    ]);
    waiting.shift()!('stored');
    await storing;
    expect(sorted().map((t) => t.appId)).toEqual(['billing', 'configured', 'orders']); // held now, listed once
    await other.registry.unregister('elsewhere', 'billing');
    expect(sorted().map((t) => t.appId)).toEqual(['configured', 'orders']);

    // A write that failed leaves no token behind.
    const failing = registry.register(NS, 'failed', { url: 'http://f', actorTypes: [], token: 'to-failed' });
    await expect.poll(() => waiting.length).toBe(1);
    expect(sorted().map((t) => t.appId)).toContain('failed');
    waiting.shift()!('failed');
    await expect(failing).rejects.toBeInstanceOf(UnavailableError);
    expect(sorted().map((t) => t.appId)).toEqual(['configured', 'orders']);
  });

  it('a throwing listener neither fails the registration nor stops the other listeners', async () => {
    const warnings: string[] = [];
    const registry = new AppRegistry(new MemoryAppRegistrations(), { warn: (message) => warnings.push(message) });
    const seen: string[] = [];
    registry.onRegistered(() => {
      throw new Error('listener bug');
    });
    registry.onRegistered((_ns, appId) => seen.push(appId));
    await registry.start();
    await registry.register(NS, 'orders', { url: 'http://a', actorTypes: [] });
    expect(seen).toEqual(['orders']);
    expect(warnings).toHaveLength(1);
  });
});
