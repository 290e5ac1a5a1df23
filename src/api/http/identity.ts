// Who is calling: from the API token when tokens are configured (a token is bound to one app),
// else the dapr-app-id / dapr-namespace headers, else the server's defaults (SPEC 4).

import type { FastifyRequest } from 'fastify';
import { DuetimeError } from '../../core/errors.js';
import { validateName } from '../../core/model/names.js';

export interface ApiToken {
  token: string;
  /** When set, the token acts only as this app; otherwise as the app named by header or default. */
  appId?: string;
  namespace?: string;
}

export interface IdentityOptions {
  defaultAppId: string;
  defaultNamespace: string;
  tokens: ApiToken[];
}

export interface Caller {
  namespace: string;
  appId: string;
  /** True when the app id came from a token bound to that app. */
  bound: boolean;
}

export function identify(request: FastifyRequest, options: IdentityOptions): Caller {
  const headerApp = header(request, 'dapr-app-id');
  const headerNamespace = header(request, 'dapr-namespace');
  let bound: ApiToken | undefined;
  if (options.tokens.length > 0) {
    const presented = header(request, 'dapr-api-token') ?? bearer(header(request, 'authorization'));
    if (!presented) throw new DuetimeError('unauthenticated', 'ERR_UNAUTHENTICATED', 'missing API token: send it in the dapr-api-token header', 'dapr-api-token');
    bound = options.tokens.find((t) => t.token === presented);
    if (!bound) throw new DuetimeError('unauthenticated', 'ERR_UNAUTHENTICATED', 'the API token is not valid', 'dapr-api-token');
    if (bound.appId && headerApp && headerApp !== bound.appId) {
      throw new DuetimeError('forbidden', 'ERR_PERMISSION_DENIED', `this token belongs to app "${bound.appId}" and cannot act as "${headerApp}"`, 'dapr-app-id');
    }
  }
  const appId = bound?.appId ?? headerApp ?? options.defaultAppId;
  const namespace = bound?.namespace ?? headerNamespace ?? options.defaultNamespace;
  validateName(appId, 'app id');
  validateName(namespace, 'namespace');
  return { appId, namespace, bound: bound?.appId !== undefined };
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

function bearer(value: string | undefined): string | undefined {
  const match = value?.match(/^Bearer\s+(.+)$/i);
  return match?.[1];
}
