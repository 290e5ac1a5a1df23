// The tokens of apps registered at run time (PUT /v1.0/apps/{appId}, which `duetime apps set`
// sends) against the API tokens. An app token goes to its app with every delivery, so an app
// token that is also an API token hands a key to the API to every receiver of that app's
// deliveries (or whoever reads their headers). config/app-tokens.ts and app/token-reload.ts keep
// the tokens of --config and --app-api-token apart from the API tokens, at start and on SIGHUP;
// this does the same for registrations, both ways: a registration may not bring an API token,
// and a reload may not make a registered app's token one (token-reload.ts, given
// registeredAppTokens).

import { InvalidRequestError } from '../core/errors.js';
import type { AppTokenInUse } from '../config/app-tokens.js';
import { matchingToken } from './caller-identity.js';
import type { ApiToken } from './token-set.js';

/**
 * Refuses a registration whose token is an API token in force: 400 naming the field and the fix,
 * never the token. Compared in constant time, as a presented token is, since the caller chose it.
 * Saying "it is an API token" tells the caller nothing it could not learn by presenting that
 * token as its own.
 */
export function refuseApiTokenAsAppToken(token: string | undefined, apiTokens: readonly ApiToken[]): void {
  if (token === undefined || token === '' || matchingToken(apiTokens, token) === undefined) return;
  throw new InvalidRequestError(
    'ERR_MALFORMED_REQUEST',
    'token is an API token of this server; an app token goes to the app with every delivery, so whoever receives one could call the API with it: give the app a token that is not an API token',
    'token',
  );
}

/** An app's token as the registry holds it (AppRegistry.appTokens). */
export interface RegisteredAppToken {
  namespace: string;
  appId: string;
  token: string;
}

/** Names each registered app's token for a refused reload's message, never by its value; the name says where to change it. */
export function registeredAppTokens(apps: readonly RegisteredAppToken[]): AppTokenInUse[] {
  return apps.map(({ namespace, appId, token }) => ({ token, where: `the token of app "${appId}" (namespace "${namespace}") as registered (PUT /v1.0/apps/${appId})` }));
}
