// App registration: where an app receives its triggers (SPEC 5). Registrations are stored with
// the jobs and followed by every replica (app/app-registry.ts); a PUT or DELETE answers once the
// change is durable (503 when the store cannot take it). Registering releases the app's staged
// triggers.

import type { FastifyInstance } from 'fastify';
import { DuetimeError, InvalidRequestError } from '../../../core/errors.js';
import { validateName } from '../../../core/model/names.js';
import type { AppRegistry } from '../../../app/app-registry.js';
import { identify, type IdentityOptions } from '../identity.js';

/** Limits on what a registration stores (it is kept in the store and copied to every replica). */
export const APP_REGISTRATION_LIMITS = { urlLength: 2048, actorTypes: 256, actorTypeLength: 512, tokenLength: 4096 } as const;

export function registerAppRoutes(app: FastifyInstance, apps: AppRegistry, identity: IdentityOptions): void {
  app.put<{ Params: { appId: string } }>('/v1.0/apps/:appId', async (request, reply) => {
    const caller = identify(request, identity);
    const appId = validateName(request.params.appId, 'app id');
    if (caller.bound && caller.appId !== appId) {
      throw new DuetimeError('forbidden', 'ERR_PERMISSION_DENIED', `this token belongs to app "${caller.appId}" and cannot register "${appId}"`, 'appId');
    }
    const body = (request.body ?? {}) as Record<string, unknown>;
    const url = body.url;
    const limits = APP_REGISTRATION_LIMITS;
    if (typeof url !== 'string' || !isHttpUrl(url)) {
      throw new InvalidRequestError('ERR_MALFORMED_REQUEST', 'url must be an http(s) URL such as "http://127.0.0.1:8080"', 'url');
    }
    if (url.length > limits.urlLength) throw new InvalidRequestError('ERR_MALFORMED_REQUEST', `url must be at most ${limits.urlLength} characters`, 'url');
    const actorTypes = body.actorTypes ?? [];
    if (!Array.isArray(actorTypes) || !actorTypes.every((t) => typeof t === 'string')) {
      throw new InvalidRequestError('ERR_MALFORMED_REQUEST', 'actorTypes must be a list of strings', 'actorTypes');
    }
    if (actorTypes.length > limits.actorTypes || actorTypes.some((t: string) => t.length === 0 || t.length > limits.actorTypeLength)) {
      throw new InvalidRequestError('ERR_MALFORMED_REQUEST', `actorTypes must hold at most ${limits.actorTypes} names of 1 to ${limits.actorTypeLength} characters`, 'actorTypes');
    }
    const token = body.token;
    if (token !== undefined && typeof token !== 'string') throw new InvalidRequestError('ERR_MALFORMED_REQUEST', 'token must be a string', 'token');
    if (token !== undefined && token.length > limits.tokenLength) throw new InvalidRequestError('ERR_MALFORMED_REQUEST', `token must be at most ${limits.tokenLength} characters`, 'token');
    await apps.register(caller.namespace, appId, { url, actorTypes: actorTypes as string[], ...(token ? { token } : {}) });
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

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
