import { delivererConformance } from '../../conformance/deliverer.suite.js';
import { AppClient } from '../../../src/adapters/deliver-invoke/app-client.js';
import { InputBindingDeliverer } from '../../../src/adapters/deliver-invoke/input-binding-deliverer.js';
import { InvokeDeliverer } from '../../../src/adapters/deliver-invoke/invoke-deliverer.js';
import type { AppEndpoint } from '../../../src/core/ports/app-directory.js';
import { startHttpReceiver } from './http-receiver.js';

// Scheduled service invocation and cron input bindings against a real HTTP app on loopback.
// Both fail, rather than stage, a trigger whose app is not registered (the target app is named
// by the job, it is not an app that will connect later); invoke counts a 404 as a missing method.

const TIMEOUT_MS = 1000;

delivererConformance('deliver-invoke (invoke)', async () => {
  const rig = await startHttpReceiver((r) => r.path.startsWith('/orders/'), TIMEOUT_MS + 5000);
  let endpoint: AppEndpoint | undefined;
  const client = new AppClient({ timeoutMs: TIMEOUT_MS });
  return {
    deliverer: new InvokeDeliverer({ endpoint: (_ns, appId) => (appId === 'billing' ? endpoint : undefined) }, client),
    timeoutMs: TIMEOUT_MS,
    trigger: (fields) => ({
      key: { namespace: 'default', appId: 'shop', name: 'close-orders' },
      uid: 'u1',
      target: { kind: 'invoke', appId: 'billing', method: 'orders/close', verb: 'POST' },
      manual: false,
      ...fields,
    }),
    answer: rig.answer,
    aim: (where) => {
      endpoint = where === 'none' ? undefined : { url: where === 'refused' ? rig.refusedUrl : rig.receiver.url, actorTypes: [] };
    },
    drain: () => rig.drain((r) => JSON.parse(r.body) as unknown),
    carriesData: true,
    differs: { notFound: 'failed', noEndpoint: 'failed' },
    close: () => client.close(),
    cleanup: async () => {
      await client.close();
      await rig.receiver.stop();
    },
  };
});

delivererConformance('deliver-invoke (cron input binding)', async () => {
  const rig = await startHttpReceiver((r) => r.path === '/nightly', TIMEOUT_MS + 5000);
  let endpoint: AppEndpoint | undefined;
  const client = new AppClient({ timeoutMs: TIMEOUT_MS });
  return {
    deliverer: new InputBindingDeliverer({ endpoint: () => endpoint }, client),
    timeoutMs: TIMEOUT_MS,
    trigger: (fields) => ({
      key: { namespace: 'default', appId: 'app', name: 'nightly' },
      uid: 'u1',
      target: { kind: 'inputBinding', name: 'nightly', route: '/nightly' },
      manual: false,
      ...fields,
    }),
    answer: rig.answer,
    aim: (where) => {
      endpoint = where === 'none' ? undefined : { url: where === 'refused' ? rig.refusedUrl : rig.receiver.url, actorTypes: [] };
    },
    drain: () => rig.drain(() => undefined),
    carriesData: false,
    differs: { notFound: 'failed', noEndpoint: 'failed' },
    close: () => client.close(),
    cleanup: async () => {
      await client.close();
      await rig.receiver.stop();
    },
  };
});
