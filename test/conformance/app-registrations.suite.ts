// The AppRegistrations contract, run against every adapter (memory, SQLite, etcd): each adapter's
// test file calls appRegistrationsConformance with a factory for fresh, empty storage from which
// any number of handles can be opened (one per simulated replica or restart).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppRegistration, AppRegistrationChange, AppRegistrations } from '../../src/core/ports/app-registrations.js';

export interface RegistrationStorage {
  /** A new handle on the same storage (another replica, or the same node after a restart). */
  open(): AppRegistrations;
  cleanup(): Promise<void>;
}

export interface AppRegistrationsConformanceOptions {
  /** Handles see each other's changes through follow() (a cluster store). SQLite: one server per file, so no. */
  sharedFollow: boolean;
}

const registration = (appId: string, url: string, extra: Partial<AppRegistration> = {}): AppRegistration => ({
  namespace: 'default',
  appId,
  endpoint: { url, actorTypes: [] },
  origin: 'api',
  ...extra,
});

/** Waits (bounded) until the predicate holds; a watch may take a moment. */
async function eventually(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function appRegistrationsConformance(name: string, makeStorage: () => Promise<RegistrationStorage>, options: AppRegistrationsConformanceOptions): void {
  describe(`AppRegistrations conformance: ${name}`, () => {
    let storage: RegistrationStorage;
    let handles: AppRegistrations[];
    const open = (): AppRegistrations => {
      const handle = storage.open();
      handles.push(handle);
      return handle;
    };

    beforeEach(async () => {
      storage = await makeStorage();
      handles = [];
    });
    afterEach(async () => {
      for (const handle of handles) await handle.close();
      await storage.cleanup();
    });

    it('starts empty', async () => {
      expect(await open().list()).toEqual([]);
    });

    it('stores every field, lists in (namespace, appId) order, and keeps namespaces apart', async () => {
      const store = open();
      await store.put(registration('orders', 'http://127.0.0.1:8080', { endpoint: { url: 'http://127.0.0.1:8080', token: 's3cret', actorTypes: ['Cart', 'Order'] } }));
      await store.put(registration('billing', 'http://127.0.0.1:8081', { origin: 'config' }));
      await store.put(registration('orders', 'http://127.0.0.1:9090', { namespace: 'other' }));
      await store.put(registration('ünïcode-✓', 'http://127.0.0.1:8082'));
      const listed = await store.list();
      expect(listed.map(({ revision: _, ...r }) => r)).toEqual([
        registration('billing', 'http://127.0.0.1:8081', { origin: 'config' }),
        registration('orders', 'http://127.0.0.1:8080', { endpoint: { url: 'http://127.0.0.1:8080', token: 's3cret', actorTypes: ['Cart', 'Order'] } }),
        registration('ünïcode-✓', 'http://127.0.0.1:8082'),
        registration('orders', 'http://127.0.0.1:9090', { namespace: 'other' }),
      ]);
    });

    it('replaces on put, removes on delete, and a delete of nothing is no error', async () => {
      const store = open();
      const first = await store.put(registration('orders', 'http://a'));
      const second = await store.put(registration('orders', 'http://b', { origin: 'config' }));
      expect(second).toBeGreaterThan(first);
      expect((await store.list()).map((r) => [r.appId, r.endpoint.url, r.origin])).toEqual([['orders', 'http://b', 'config']]);
      await store.delete('default', 'orders');
      expect(await store.list()).toEqual([]);
      await expect(store.delete('default', 'never-registered')).resolves.toEqual(expect.any(Number));
      // Another namespace's app of the same id is untouched by a delete.
      await store.put(registration('orders', 'http://c', { namespace: 'other' }));
      await store.delete('default', 'orders');
      expect((await store.list()).map((r) => r.namespace)).toEqual(['other']);
    });

    it('hands out copies: changing what was put or listed changes nothing stored', async () => {
      const store = open();
      const r = registration('orders', 'http://a', { endpoint: { url: 'http://a', actorTypes: ['Cart'] } });
      await store.put(r);
      r.endpoint.actorTypes.push('Sneaky');
      r.endpoint.url = 'http://changed';
      const [listed] = await store.list();
      expect(listed?.endpoint).toEqual({ url: 'http://a', actorTypes: ['Cart'] });
      listed!.endpoint.actorTypes.push('Again');
      expect((await store.list())[0]?.endpoint.actorTypes).toEqual(['Cart']);
    });

    it('what a put resolved is there for a new handle (a restart, or another replica)', async () => {
      const first = open();
      await first.put(registration('orders', 'http://a'));
      await first.put(registration('gone', 'http://g'));
      await first.delete('default', 'gone');
      await first.close();
      const second = open();
      expect((await second.list()).map((r) => [r.appId, r.endpoint.url])).toEqual([['orders', 'http://a']]);
    });

    it('follow() returns what is stored, then reports every later change in revision order', async () => {
      const store = open();
      await store.put(registration('before', 'http://before'));
      const changes: AppRegistrationChange[] = [];
      const current = await store.follow((change) => changes.push(change));
      expect(current.map((r) => r.appId)).toEqual(['before']);
      await store.put(registration('orders', 'http://a'));
      await store.put(registration('orders', 'http://b'));
      await store.delete('default', 'before');
      await eventually(() => changes.length >= 3, 'three changes');
      expect(changes.map((c) => (c.kind === 'put' ? ['put', c.registration.appId, c.registration.endpoint.url] : ['delete', c.appId]))).toEqual([
        ['put', 'orders', 'http://a'],
        ['put', 'orders', 'http://b'],
        ['delete', 'before'],
      ]);
      const revisions = changes.map((c) => c.revision);
      expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);
      expect(new Set(revisions).size).toBe(3);
      expect(revisions[0]).toBeGreaterThan(current[0]!.revision);
    });

    it('a follower that throws breaks neither the write nor later reports', async () => {
      const store = open();
      const seen: string[] = [];
      await store.follow((change) => {
        seen.push(change.kind === 'put' ? change.registration.appId : `-${change.appId}`);
        throw new Error('listener bug');
      });
      await expect(store.put(registration('a', 'http://a'))).resolves.toEqual(expect.any(Number));
      await store.put(registration('b', 'http://b'));
      await eventually(() => seen.length >= 2, 'both changes');
      expect(seen).toEqual(['a', 'b']);
      expect((await store.list()).map((r) => r.appId)).toEqual(['a', 'b']);
    });

    it('refuses a second follow() and calls after close', async () => {
      const store = open();
      await store.follow(() => undefined);
      await expect(store.follow(() => undefined)).rejects.toThrow(/already/);
      await store.close();
      await store.close();
      await expect(store.list()).rejects.toThrow(/closed/);
      await expect(store.put(registration('late', 'http://late'))).rejects.toThrow(/closed/);
      await expect(store.delete('default', 'late')).rejects.toThrow(/closed/);
    });

    if (options.sharedFollow) {
      it('a handle following the storage learns of registrations made through another', async () => {
        const replicaA = open();
        const replicaB = open();
        const seenByB: AppRegistrationChange[] = [];
        await replicaB.follow((change) => seenByB.push(change));
        const putAt = await replicaA.put(registration('orders', 'http://a', { endpoint: { url: 'http://a', token: 't', actorTypes: ['Cart'] } }));
        await eventually(() => seenByB.length >= 1, 'the put through the other handle');
        expect(seenByB[0]).toEqual({ kind: 'put', registration: registration('orders', 'http://a', { endpoint: { url: 'http://a', token: 't', actorTypes: ['Cart'] } }), revision: putAt });
        const deletedAt = await replicaA.delete('default', 'orders');
        await eventually(() => seenByB.length >= 2, 'the delete through the other handle');
        expect(seenByB[1]).toEqual({ kind: 'delete', namespace: 'default', appId: 'orders', revision: deletedAt });
        // Closed: it hears nothing more.
        await replicaB.close();
        await replicaA.put(registration('after-close', 'http://x'));
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(seenByB).toHaveLength(2);
      });
    }
  });
}
