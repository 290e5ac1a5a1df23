// Who is calling, whatever the transport: from the API token when tokens are configured (a
// token is bound to one app), else the app id and namespace the caller names (HTTP headers, gRPC
// metadata, a scheduler request's JobMetadata), else the server's defaults (SPEC 4).

import { DuetimeError } from '../core/errors.js';
import { validateName } from '../core/model/names.js';

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

/** What a request says about its caller; empty strings count as absent. */
export interface CallerClaims {
  appId?: string | undefined;
  namespace?: string | undefined;
  /** The API token presented, if any. */
  token?: string | undefined;
}

/** Where the transport carries the app id, for error messages ("dapr-app-id", "metadata.appId"). */
export interface ClaimFields {
  appId: string;
  token: string;
}

const HEADER_FIELDS: ClaimFields = { appId: 'dapr-app-id', token: 'dapr-api-token' };

export function resolveCaller(claims: CallerClaims, options: IdentityOptions, fields: ClaimFields = HEADER_FIELDS): Caller {
  const claimedApp = present(claims.appId);
  const claimedNamespace = present(claims.namespace);
  let bound: ApiToken | undefined;
  if (options.tokens.length > 0) {
    const presented = present(claims.token);
    if (!presented) throw new DuetimeError('unauthenticated', 'ERR_UNAUTHENTICATED', `missing API token: send it in the ${fields.token} header`, fields.token);
    bound = options.tokens.find((t) => t.token === presented);
    if (!bound) throw new DuetimeError('unauthenticated', 'ERR_UNAUTHENTICATED', 'the API token is not valid', fields.token);
    if (bound.appId && claimedApp && claimedApp !== bound.appId) {
      throw new DuetimeError('forbidden', 'ERR_PERMISSION_DENIED', `this token belongs to app "${bound.appId}" and cannot act as "${claimedApp}"`, fields.appId);
    }
  }
  const appId = bound?.appId ?? claimedApp ?? options.defaultAppId;
  const namespace = bound?.namespace ?? claimedNamespace ?? options.defaultNamespace;
  validateName(appId, 'app id');
  validateName(namespace, 'namespace');
  return { appId, namespace, bound: bound?.appId !== undefined };
}

function present(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
