// The optional YAML config file: apps to register at start and API tokens bound to apps.
//
//   apps:
//     - appId: orders
//       url: http://127.0.0.1:8080
//       namespace: default      # optional
//       actorTypes: [Cart]      # optional
//       token: s3cret           # optional, sent as dapr-api-token on callbacks
//   tokens:
//     - token: orders-token
//       appId: orders           # callers with this token act as this app only
//
// Each token is listed once (refuseRepeatedTokens says why), and no app's token is one of the
// tokens (refuseAppTokensAsApiTokens).
// Read at start; the tokens are read again on SIGHUP (app/token-reload.ts), the apps are not.
// Errors name the file and the field, never a value: a token must not reach the log.

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { appTokenIsApiToken } from './app-tokens.js';
import { InvalidRequestError } from '../core/errors.js';
import { validateAppEndpoint } from '../core/model/app-endpoint.js';
import { OutboundPolicy } from '../core/model/outbound-policy.js';
import { validateName } from '../core/model/names.js';

export interface FileApp {
  appId: string;
  namespace?: string;
  url: string;
  actorTypes?: string[];
  token?: string;
}

export interface FileToken {
  token: string;
  appId?: string;
  namespace?: string;
}

export interface ConfigFile {
  apps: FileApp[];
  tokens: FileToken[];
}

/** `outbound`: --allow-outbound, which the apps' URLs must obey as a registration through the API does. */
export function readConfigFile(path: string, outbound: OutboundPolicy = OutboundPolicy.default()): ConfigFile {
  let raw: unknown;
  try {
    // No warnings printed: yaml prints them (an unknown tag, ...) quoting the line, token and all.
    raw = parse(readFileSync(path, 'utf8'), { logLevel: 'error' });
  } catch (error) {
    throw new Error(`config file ${path}: ${firstLine(error instanceof Error ? error.message : String(error))}`);
  }
  if (raw !== null && raw !== undefined && !isMapping(raw)) throw new Error(`${path}: the file must be a mapping with apps: and tokens:`);
  const doc = (raw ?? {}) as Record<string, unknown>;
  const apps = list(doc.apps, path, 'apps').map((entry, i) => {
    const where = `${path}: apps[${i}]`;
    if (!isMapping(entry)) throw new Error(`${where} must be a mapping with appId and url`);
    if (typeof entry.appId !== 'string' || !entry.appId) throw new Error(`${where}.appId must be a non-empty string`);
    // The rules of PUT /v1.0/apps/{appId}, which is what registering these apps amounts to.
    const app = asRequest(where, () => {
      validateName(entry.appId as string, 'app id');
      if (entry.namespace !== undefined) {
        if (typeof entry.namespace !== 'string') throw new InvalidRequestError('ERR_MALFORMED_REQUEST', 'namespace must be a string', 'namespace');
        validateName(entry.namespace, 'namespace');
      }
      return validateAppEndpoint({ url: entry.url, actorTypes: entry.actorTypes, token: entry.token }, outbound);
    });
    return { ...(entry as unknown as FileApp), ...app };
  });
  const tokens = list(doc.tokens, path, 'tokens').map((entry, i) => {
    if (!isMapping(entry)) throw new Error(`${path}: tokens[${i}] must be a mapping with token (and appId, namespace)`);
    if (typeof entry.token !== 'string' || !entry.token) throw new Error(`${path}: tokens[${i}].token must be a non-empty string`);
    // A bound app or namespace that is not a name would fail every call made with the token.
    for (const field of ['appId', 'namespace'] as const) {
      if (entry[field] === undefined) continue;
      asRequest(`${path}: tokens[${i}]`, () => {
        if (typeof entry[field] !== 'string') throw new InvalidRequestError('ERR_MALFORMED_REQUEST', `${field} must be a string`, field);
        validateName(entry[field], field === 'appId' ? 'app id' : 'namespace');
      });
    }
    return entry as unknown as FileToken;
  });
  refuseRepeatedTokens(tokens, path);
  refuseAppTokensAsApiTokens(apps, tokens, path);
  return { apps, tokens };
}

/**
 * Each token once. Tokens are matched in list order (app/caller-identity.ts), so a token listed
 * twice acts as its first entry and the second does nothing: bound to two apps, which app it is
 * depends on the order, an operator's mistake to refuse. Listed twice the same way it is harmless
 * today, but refused too: a later edit of one copy could silently do nothing (deleting one to
 * revoke the token revokes nothing, rebinding the second changes nothing), since the other copy
 * still matches. The message names the entries, never the token.
 */
function refuseRepeatedTokens(tokens: readonly FileToken[], path: string): void {
  const firstIndex = new Map<string, number>();
  tokens.forEach((entry, i) => {
    const first = firstIndex.get(entry.token);
    if (first === undefined) {
      firstIndex.set(entry.token, i);
      return;
    }
    const earlier = tokens[first]!;
    const where = `${path}: tokens[${i}].token is the same token as tokens[${first}]`;
    if (earlier.appId === entry.appId && earlier.namespace === entry.namespace) {
      throw new Error(`${where}, again ${binding(earlier)}; list each token once`);
    }
    throw new Error(`${where} (${binding(earlier)}); give each app its own token`);
  });
}

/**
 * An app's `token:` is sent to the app with every delivery (as Dapr's APP_API_TOKEN is), so it is
 * as public as the app's receiver: one that is also an API token hands a key to the API to the
 * app, and to anyone who reads a delivery's headers. The same check across the flags is in
 * app/token-reload.ts (tokensFrom), with the same words. The message names the entries, never the token.
 */
function refuseAppTokensAsApiTokens(apps: readonly FileApp[], tokens: readonly FileToken[], path: string): void {
  apps.forEach((app, i) => {
    if (app.token === undefined) return;
    const same = tokens.findIndex((entry) => entry.token === app.token);
    if (same < 0) return;
    throw new Error(appTokenIsApiToken(`${path}: apps[${i}].token (app "${app.appId}")`, `tokens[${same}]`));
  });
}

/** What a token entry acts as, for messages: `bound to app "a" in namespace "n"`. */
function binding(entry: FileToken): string {
  const parts = [entry.appId !== undefined ? `app "${entry.appId}"` : undefined, entry.namespace !== undefined ? `namespace "${entry.namespace}"` : undefined].filter((part) => part !== undefined);
  return parts.length > 0 ? `bound to ${parts.join(' in ')}` : 'not bound to an app';
}

/** Runs an API rule on a file entry; its refusal names the entry and field: "file: apps[1].url: ...". */
function asRequest<T>(where: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof InvalidRequestError)) throw error;
    const field = error.field === 'app id' ? 'appId' : error.field;
    throw new Error(`${where}${field ? `.${field}` : ''}: ${error.message}`, { cause: error });
  }
}

/**
 * A YAML error's first line ("... at line 2, column 12"): the lines after it quote the file, and
 * the quoted line may hold a token.
 */
function firstLine(message: string): string {
  return message.split('\n', 1)[0]!.replace(/:$/, '');
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown, path: string, field: string): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${path}: ${field} must be a list`);
  return value as Record<string, unknown>[];
}
