import { delivererConformance } from '../../conformance/deliverer.suite.js';
import { ActorDeliverer } from '../../../src/adapters/deliver-actor/actor-deliverer.js';
import type { AppEndpoint } from '../../../src/core/ports/app-directory.js';
import { startHttpReceiver } from './http-receiver.js';

// Actor reminders (PUT {appUrl}/actors/{type}/{id}/method/remind/{name}) against a real HTTP app
// on loopback that hosts the actor type (declared at registration and in GET /dapr/config).

const TIMEOUT_MS = 1000;

delivererConformance('deliver-actor', async () => {
  const rig = await startHttpReceiver(
    (r) => r.path.startsWith('/actors/'),
    TIMEOUT_MS + 5000,
    (r) => (r.path === '/dapr/config' ? { status: 200, headers: { 'content-type': 'application/json' }, body: '{"entities":["Counter"]}' } : undefined),
  );
  let endpoint: (AppEndpoint & { namespace: string; appId: string }) | undefined;
  const deliverer = new ActorDeliverer(
    {
      endpoint: (_ns, appId) => (endpoint?.appId === appId ? endpoint : undefined),
      list: () => (endpoint ? [endpoint] : []),
    },
    { timeoutMs: TIMEOUT_MS, configTtlMs: 0, missRefreshMs: 0 },
  );
  return {
    deliverer,
    timeoutMs: TIMEOUT_MS,
    trigger: (fields) => ({
      key: { namespace: 'default', appId: 'counter-app', name: 'tick' },
      uid: 'u1',
      target: { kind: 'actor', type: 'Counter', id: 'c-1' },
      manual: false,
      ...fields,
    }),
    answer: rig.answer,
    aim: (where) => {
      endpoint =
        where === 'none'
          ? undefined
          : { namespace: 'default', appId: 'counter-app', url: where === 'refused' ? rig.refusedUrl : rig.receiver.url, actorTypes: ['Counter'] };
    },
    drain: () => rig.drain((r) => (JSON.parse(r.body) as { data: unknown }).data),
    carriesData: true,
    close: () => deliverer.close(),
    cleanup: async () => {
      await deliverer.close();
      await rig.receiver.stop();
    },
  };
});
