// Who is calling over HTTP: the dapr-app-id / dapr-namespace headers and the dapr-api-token (or
// bearer) token, resolved by the transport-independent rules in app/caller-identity.ts (SPEC 4).

import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { resolveCaller, type Caller, type IdentityOptions } from '../../app/caller-identity.js';

export type { ApiToken, Caller, IdentityOptions } from '../../app/caller-identity.js';

export function identify(request: FastifyRequest, options: IdentityOptions): Caller {
  return identifyByHeaders(request.headers, options);
}

/** The same from node:http's headers (the schedule lane, which has no Fastify request). */
export function identifyByHeaders(headers: IncomingHttpHeaders, options: IdentityOptions): Caller {
  return resolveCaller(
    {
      appId: header(headers, 'dapr-app-id'),
      namespace: header(headers, 'dapr-namespace'),
      token: header(headers, 'dapr-api-token') ?? bearer(header(headers, 'authorization')),
    },
    options,
  );
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

function bearer(value: string | undefined): string | undefined {
  const match = value?.match(/^Bearer\s+(.+)$/i);
  return match?.[1];
}
