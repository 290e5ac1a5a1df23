import { delivererConformance } from '../../conformance/deliverer.suite.js';
import { HttpDeliverer } from '../../../src/adapters/deliver-http/http-deliverer.js';
import type { AppEndpoint } from '../../../src/core/ports/app-directory.js';
import { startHttpReceiver } from './http-receiver.js';

// The job callback (POST {appUrl}/job/{name}) against a real HTTP app on loopback.

const TIMEOUT_MS = 1000;

delivererConformance('deliver-http', async () => {
  const rig = await startHttpReceiver((r) => r.path.startsWith('/job/'), TIMEOUT_MS + 5000);
  let endpoint: AppEndpoint | undefined;
  const deliverer = new HttpDeliverer({ endpoint: () => endpoint }, { timeoutMs: TIMEOUT_MS });
  return {
    deliverer,
    timeoutMs: TIMEOUT_MS,
    trigger: (fields) => ({ key: { namespace: 'default', appId: 'app', name: 'job-1' }, uid: 'u1', target: { kind: 'app' }, manual: false, ...fields }),
    answer: rig.answer,
    aim: (where) => {
      endpoint = where === 'none' ? undefined : { url: where === 'refused' ? rig.refusedUrl : rig.receiver.url, actorTypes: [] };
    },
    drain: () => rig.drain((r) => JSON.parse(r.body) as unknown),
    carriesData: true,
    close: () => deliverer.close(),
    cleanup: async () => {
      await deliverer.close();
      await rig.receiver.stop();
    },
  };
});
