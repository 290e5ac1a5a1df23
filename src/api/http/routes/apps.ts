// App registration: where an app receives its triggers. Registrations are stored with
// the jobs and followed by every replica (app/app-registry.ts); a PUT or DELETE answers once the
// change is durable (503 when the store cannot take it). Registering releases the app's staged
// triggers. The endpoint's rules (core/model/app-endpoint.ts) are also those of --app-url and
// the config file's apps, including the outbound policy (--allow-outbound: no link-local
// address, no userinfo, no port 0).

import type { FastifyInstance } from 'fastify';
import { DuetimeError } from '../../../core/errors.js';
import { validateAppEndpoint } from '../../../core/model/app-endpoint.js';
import { validateName } from '../../../core/model/names.js';
import type { OutboundPolicy } from '../../../core/model/outbound-policy.js';
import type { AppRegistry } from '../../../app/app-registry.js';
import { identify, type IdentityOptions } from '../identity.js';

export function registerAppRoutes(app: FastifyInstance, apps: AppRegistry, identity: IdentityOptions, outbound?: OutboundPolicy): void {
  app.put<{ Params: { appId: string } }>('/v1.0/apps/:appId', async (request, reply) => {
    const caller = identify(request, identity);
    const appId = validateName(request.params.appId, 'app id');
    if (caller.bound && caller.appId !== appId) {
      throw new DuetimeError('forbidden', 'ERR_PERMISSION_DENIED', `this token belongs to app "${caller.appId}" and cannot register "${appId}"`, 'appId');
    }
    const body = (request.body ?? {}) as Record<string, unknown>;
    const endpoint = validateAppEndpoint({ url: body.url, actorTypes: body.actorTypes, token: body.token }, outbound);
    await apps.register(caller.namespace, appId, endpoint);
    return reply.status(204).send();
  });

  app.get('/v1.0/apps', async (request) => {
    const caller = identify(request, identity);
    // A token bound to an app sees that app's registration only (docs/security.md).
    const visible = apps.list().filter((a) => a.namespace === caller.namespace && (!caller.bound || a.appId === caller.appId));
    return { apps: visible.map(({ appId, url, actorTypes }) => ({ appId, url, actorTypes })) };
  });

  app.delete<{ Params: { appId: string } }>('/v1.0/apps/:appId', async (request, reply) => {
    const caller = identify(request, identity);
    if (caller.bound && caller.appId !== request.params.appId) {
      throw new DuetimeError('forbidden', 'ERR_PERMISSION_DENIED', `this token belongs to app "${caller.appId}"`, 'appId');
    }
    await apps.unregister(caller.namespace, request.params.appId);
    return reply.status(204).send();
  });
}
