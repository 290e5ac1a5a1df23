// Who is calling over HTTP: the dapr-app-id / dapr-namespace headers and the dapr-api-token (or
// bearer) token, resolved by the transport-independent rules in app/caller-identity.ts (SPEC 4).

import type { FastifyRequest } from 'fastify';
import { resolveCaller, type Caller, type IdentityOptions } from '../../app/caller-identity.js';

export type { ApiToken, Caller, IdentityOptions } from '../../app/caller-identity.js';

export function identify(request: FastifyRequest, options: IdentityOptions): Caller {
  return resolveCaller(
    {
      appId: header(request, 'dapr-app-id'),
      namespace: header(request, 'dapr-namespace'),
      token: header(request, 'dapr-api-token') ?? bearer(header(request, 'authorization')),
    },
    options,
  );
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
