// Who is calling, whatever the transport: from the API token when tokens are configured (a
// token is bound to one app), else the app id and namespace the caller names (HTTP headers, gRPC
// metadata, a scheduler request's JobMetadata), else the server's defaults (SPEC 4).

import { createHash, timingSafeEqual } from 'node:crypto';
import { DuetimeError } from '../core/errors.js';
import { validateName } from '../core/model/names.js';
import type { ApiToken, TokenSet } from './token-set.js';

export type { ApiToken } from './token-set.js';

export interface IdentityOptions {
  defaultAppId: string;
  defaultNamespace: string;
  /** The tokens in force, shared by every reader so that a reload reaches all of them (token-set.ts). */
  tokens: TokenSet;
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

/** The last app id and namespace validateName passed (a pure check of the string). */
let lastValidAppId: string | undefined;
let lastValidNamespace: string | undefined;

const HEADER_FIELDS: ClaimFields = { appId: 'dapr-app-id', token: 'dapr-api-token' };

export function resolveCaller(claims: CallerClaims, options: IdentityOptions, fields: ClaimFields = HEADER_FIELDS): Caller {
  const claimedApp = present(claims.appId);
  const claimedNamespace = present(claims.namespace);
  let bound: ApiToken | undefined;
  // Read once: a reload during this call changes the list for the next call, not halfway through this one.
  const tokens = options.tokens.current;
  if (tokens.length > 0) {
    const presented = present(claims.token);
    if (!presented) throw new DuetimeError('unauthenticated', 'ERR_UNAUTHENTICATED', `missing API token: send it in the ${fields.token} header`, fields.token);
    bound = matchingToken(tokens, presented);
    if (!bound) throw new DuetimeError('unauthenticated', 'ERR_UNAUTHENTICATED', 'the API token is not valid', fields.token);
    if (bound.appId && claimedApp && claimedApp !== bound.appId) {
      throw new DuetimeError('forbidden', 'ERR_PERMISSION_DENIED', `this token belongs to app "${bound.appId}" and cannot act as "${claimedApp}"`, fields.appId);
    }
  }
  const appId = bound?.appId ?? claimedApp ?? options.defaultAppId;
  const namespace = bound?.namespace ?? claimedNamespace ?? options.defaultNamespace;
  // Nearly every request names the same app and namespace: checked once, not per request.
  if (appId !== lastValidAppId) {
    validateName(appId, 'app id');
    lastValidAppId = appId;
  }
  if (namespace !== lastValidNamespace) {
    validateName(namespace, 'namespace');
    lastValidNamespace = namespace;
  }
  return { appId, namespace, bound: bound?.appId !== undefined };
}

// Tokens are compared in constant time: as SHA-256 digests (equal lengths, whatever was sent)
// with timingSafeEqual, against every configured token without stopping at a match, so the time
// taken says nothing about how much of a token was right or which one matched.
const digests = new WeakMap<ApiToken, Buffer>();

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The token in force equal to `presented`, compared in constant time (above); also what refuses an app token that is an API token (registered-app-tokens.ts). */
export function matchingToken(tokens: readonly ApiToken[], presented: string): ApiToken | undefined {
  const sent = digest(presented);
  let found: ApiToken | undefined;
  for (const token of tokens) {
    let expected = digests.get(token);
    if (!expected) {
      expected = digest(token.token);
      digests.set(token, expected);
    }
    if (timingSafeEqual(expected, sent) && !found) found = token;
  }
  return found;
}

function present(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
