// Cron input bindings (bindings.cron): each binding is a job of the default app whose target is
// {"inputBinding":{"name","route"}}. A trigger calls `POST {appUrl}{route}` on that app, as
// Dapr's cron binding calls `POST /{bindingName}`, with an empty body and the duetime-* headers.
// 2xx = done; anything else fails (the binding jobs drop a failed tick, as Dapr does not retry).

import type { Outcome, Trigger } from '../../core/model/trigger.js';
import type { AppDirectory } from '../../core/ports/app-directory.js';
import type { Deliverer } from '../../core/ports/deliverer.js';
import { triggerHeaders, type AppClient } from './app-client.js';

export class InputBindingDeliverer implements Deliverer {
  constructor(
    private readonly apps: AppDirectory,
    private readonly client: AppClient,
  ) {}

  async deliver(trigger: Trigger): Promise<Outcome> {
    const target = trigger.target;
    if (target.kind !== 'inputBinding') return { kind: 'failed', detail: 'not a cron binding target' };
    const { name, route } = target;
    const what = `cron binding "${name}" POST ${route}`;
    const { namespace, appId } = trigger.key;
    const endpoint = this.apps.endpoint(namespace, appId);
    if (!endpoint) return { kind: 'failed', detail: `${what}: app "${appId}" has no registered HTTP endpoint (--app-url)` };
    return this.client.call(endpoint, {
      method: 'POST',
      path: route.split('/').map(encodeURIComponent).join('/'),
      headers: { 'content-type': 'application/json', ...triggerHeaders(trigger) },
      body: '',
      what,
    });
  }
}
