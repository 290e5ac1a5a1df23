// Reading the API tokens again while the server runs (SIGHUP; docs/security.md "Changing the
// policy and the tokens without a restart"): the `tokens:` of --config and --api-token-file, when
// the server was started with them. A literal --api-token (or its environment twin) cannot change
// and stays. Every file is read and checked before anything changes: one that does not read keeps
// the tokens in force, all of them, so a bad edit never locks every client out or lets a revoked
// token back in. A reload may not turn authentication on or off (a restart decides that), since
// other things were decided at start from whether tokens exist.

import { appTokenIsApiToken, type AppTokenInUse } from '../config/app-tokens.js';
import type { ReloadContext } from './targets/access-control-reload.js';
import type { ApiToken, TokenSet } from './token-set.js';

/** Where the tokens come from, as the server was started. */
export interface TokenSources {
  /** --config: its `tokens:` are read again. */
  configFile?: string | undefined;
  /** --api-token-file: read again. */
  apiTokenFile?: string | undefined;
  /** --api-token or DUETIME_API_TOKEN: fixed for the life of the process. */
  fixedToken?: string | undefined;
  /** The tokens sent to apps as configured (config/app-tokens.ts), fixed at start: no API token may be one of them. */
  appTokens?: readonly AppTokenInUse[] | undefined;
}

export interface TokenChanges {
  added: number;
  removed: number;
  /** Still there, bound to another app or namespace (or bound where it was not, or the reverse). */
  rebound: number;
  /** Tokens in force after the reload. */
  total: number;
}

export type TokenReloadResult =
  /** The files were read and their tokens are in force. */
  | { result: 'reloaded'; files: string[]; changes: TokenChanges }
  /** A file could not be used, or the reload would turn authentication on or off; the previous tokens stay in force. */
  | { result: 'failed'; files: string[]; error: string }
  /** No token file was given at start: nothing to read. */
  | { result: 'not-configured' };

export interface TokenReloadOptions {
  sources: TokenSources;
  /** Reads and checks the --config file; throws a message naming the file and the field (never a token). */
  readConfigTokens: (file: string) => ApiToken[];
  /** Reads --api-token-file; throws a message naming the flag and the file. */
  readTokenFile: (file: string) => string;
  tokens: TokenSet;
  /**
   * The tokens of the apps registered now (registered-app-tokens.ts), read at each reload: apps
   * registered at run time carry app tokens too, and no API token may be one of them either.
   */
  registeredAppTokens?: () => readonly AppTokenInUse[];
}

/**
 * The token list as the server builds it, at start and at every reload: the file's tokens, then the
 * API token. `sources` names them in a refusal.
 *
 * The API token is unbound (it acts as whatever app the caller names); a file entry with the same
 * token is refused, as the file refuses a token listed twice (config/config-file.ts): tokens match
 * in list order, so the file's entry would win and the unbound use would silently be lost, or,
 * were the order ever changed, a token meant for one app would act as any. An unbound entry equal
 * to it is refused too: one token listed twice, whose removal from one place would revoke nothing.
 *
 * No API token may be an app token either (refuseAppTokens).
 */
export function tokensFrom(fileTokens: readonly ApiToken[], apiToken: string | undefined, sources: TokenSources): ApiToken[] {
  const apiFlag = sources.apiTokenFile ? `--api-token-file (${sources.apiTokenFile})` : '--api-token / DUETIME_API_TOKEN';
  const named = fileTokens.map((entry, i) => ({ entry, where: `${sources.configFile ?? '--config'}: tokens[${i}]` }));
  if (apiToken) {
    const same = fileTokens.findIndex((entry) => entry.token === apiToken);
    if (same >= 0) throw new Error(`${sources.configFile ?? '--config'}: tokens[${same}].token is the same token as ${apiFlag}, which is not bound to an app; give the app a token of its own`);
    named.push({ entry: { token: apiToken }, where: apiFlag });
  }
  refuseAppTokens(named, sources.appTokens ?? []);
  return named.map(({ entry }) => entry);
}

/**
 * An app token goes to its app with every delivery (as Dapr's APP_API_TOKEN does), so every app
 * receiving deliveries, or a hostile receiver reading their headers, would hold a key to the API
 * if it were also an API token. At a reload the app tokens are those configured at start (the
 * file's apps are registered only then) and those of the apps registered now, so rotating an API
 * token to one of them is refused too; the configured ones come first, so a configured app is
 * named by where it was configured. config-file.ts refuses the same within one file, in the same
 * words. The message names both, never the token.
 */
function refuseAppTokens(apiTokens: readonly { entry: ApiToken; where: string }[], appTokens: readonly AppTokenInUse[]): void {
  for (const app of appTokens) {
    const same = apiTokens.find(({ entry }) => entry.token === app.token);
    if (same === undefined) continue;
    throw new Error(appTokenIsApiToken(app.where, same.where));
  }
}

export function reloadTokens(options: TokenReloadOptions): TokenReloadResult {
  const { configFile, apiTokenFile, fixedToken } = options.sources;
  const files = [configFile, apiTokenFile].filter((file): file is string => file !== undefined && file !== '');
  if (files.length === 0) return { result: 'not-configured' };
  let next: ApiToken[];
  try {
    const fileTokens = configFile ? options.readConfigTokens(configFile) : [];
    const appTokens = [...(options.sources.appTokens ?? []), ...(options.registeredAppTokens?.() ?? [])];
    next = tokensFrom(fileTokens, apiTokenFile ? options.readTokenFile(apiTokenFile) : fixedToken, { ...options.sources, appTokens });
  } catch (error) {
    return { result: 'failed', files, error: error instanceof Error ? error.message : String(error) };
  }
  const before = options.tokens.current;
  if (next.length > 0 !== before.length > 0) {
    const turn = before.length > 0 ? `leave no API token, which would turn API authentication off` : `add API tokens to a server started without any, which would turn API authentication on`;
    return {
      result: 'failed',
      files,
      error: `${files.join(' and ')} would ${turn}; that needs a restart (the default invoke rule and the dashboard's sign-in were decided at start from whether tokens exist)`,
    };
  }
  options.tokens.replace(next);
  return { result: 'reloaded', files, changes: changesBetween(before, next) };
}

/** Counts only: which tokens changed is never logged. */
function changesBetween(before: readonly ApiToken[], after: readonly ApiToken[]): TokenChanges {
  const old = new Map(before.map((t) => [t.token, t]));
  const now = new Map(after.map((t) => [t.token, t]));
  let added = 0;
  let rebound = 0;
  for (const [token, entry] of now) {
    const was = old.get(token);
    if (!was) added++;
    else if (was.appId !== entry.appId || was.namespace !== entry.namespace) rebound++;
  }
  let removed = 0;
  for (const token of old.keys()) if (!now.has(token)) removed++;
  return { added, removed, rebound, total: after.length };
}

/**
 * What the log says about a reload: an error when it was refused (the old tokens stay). With no
 * token file there is nothing to read: at info only when the SIGHUP read nothing else either (the
 * --access-control file), as describeReload does.
 */
export function describeTokenReload(outcome: TokenReloadResult, context: ReloadContext = { othersRead: false }): { level: 'debug' | 'info' | 'error'; message: string } {
  switch (outcome.result) {
    case 'reloaded': {
      const { added, removed, rebound, total } = outcome.changes;
      return { level: 'info', message: `API tokens reloaded from ${outcome.files.join(' and ')}: ${total} in force, ${added} added, ${removed} removed, ${rebound} bound to another app` };
    }
    case 'failed':
      return { level: 'error', message: `API tokens not reloaded, the previous tokens stay in force: ${outcome.error}; fix the file and send SIGHUP again` };
    case 'not-configured':
      return { level: context.othersRead ? 'debug' : 'info', message: 'reload: the server was started with neither --config nor --api-token-file, so there are no token files to read (a literal --api-token changes only with a restart)' };
  }
}
