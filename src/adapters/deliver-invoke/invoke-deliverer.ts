// Scheduled service invocation: a trigger with target {"invoke":{"appId","method","verb"}} calls
// `{verb} {appUrl}/{method}` on another app registered in the same namespace (outbound only to
// registered apps: an unknown app id fails the attempt, it is never turned into a host name).
// The body is the job's data as JSON (none for GET and HEAD), with the duetime-* headers and
// Dapr's dapr-caller-app-id / dapr-caller-namespace naming the job's app.
//
// 2xx = done. Unlike the job callback, a 404 is a failure: the method is missing on the app, and
// the failure policy decides whether to try again (an app being deployed may add it).

import type { InvokeTarget } from '../../core/model/target.js';
import type { Outcome, Trigger } from '../../core/model/trigger.js';
import type { AppDirectory } from '../../core/ports/app-directory.js';
import type { Deliverer } from '../../core/ports/deliverer.js';
import { triggerHeaders, type AppClient } from './app-client.js';

export class InvokeDeliverer implements Deliverer {
  constructor(
    private readonly apps: AppDirectory,
    private readonly client: AppClient,
  ) {}

  async deliver(trigger: Trigger): Promise<Outcome> {
    const call = readInvoke(trigger);
    if (typeof call === 'string') return { kind: 'failed', detail: call };
    const { namespace } = trigger.key;
    const what = `invoke app "${call.appId}" ${call.verb} /${call.method}`;
    const endpoint = this.apps.endpoint(namespace, call.appId);
    if (!endpoint) return { kind: 'failed', detail: `${what}: app "${call.appId}" is not registered in namespace "${namespace}"` };
    const withBody = call.verb !== 'GET' && call.verb !== 'HEAD';
    const body = !withBody ? undefined : trigger.rawData ? Buffer.from(trigger.rawData.value, 'base64') : trigger.data === undefined ? '' : JSON.stringify(trigger.data);
    return this.client.call(endpoint, {
      method: call.verb,
      path: `/${call.method.split('/').map(encodeURIComponent).join('/')}`,
      headers: {
        ...(withBody ? { 'content-type': trigger.rawData ? 'application/octet-stream' : 'application/json' } : {}),
        ...triggerHeaders(trigger),
        'dapr-caller-app-id': trigger.key.appId,
        'dapr-caller-namespace': namespace,
      },
      ...(body !== undefined ? { body } : {}),
      what,
    });
  }
}

/** The call a target describes: typed and validated when the job was written (core/model/target.ts). */
function readInvoke(trigger: Trigger): InvokeTarget | string {
  const target = trigger.target;
  return target.kind === 'invoke' ? target : 'not an invoke target';
}
