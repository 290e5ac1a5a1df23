// The app tokens a server sends: `apps[].token` of --config, and --app-api-token (or its file) for
// the apps without one of their own. Each goes to its app with every delivery, so none may also be
// an API token (app/token-reload.ts refuses that at start and on SIGHUP); this names each for that
// message, never by its value.

import type { DuetimeConfig } from './config.js';
import { settingName } from './config.js';
import type { FileApp } from './config-file.js';

/** A token sent to apps, and where it was set, for messages. */
export interface AppTokenInUse {
  token: string;
  /** `duetime.yaml: apps[0].token (app "orders")`, `--app-api-token / DUETIME_APP_API_TOKEN`. */
  where: string;
}

/**
 * Read once at start: the apps of --config are registered only then, and --app-api-token-file is
 * not read again, so these are the app tokens for the life of the process. --app-api-token counts
 * even when no app uses it today: it is configured to be sent.
 */
export function appTokensInUse(config: Pick<DuetimeConfig, 'configFile' | 'appApiTokenFile'>, fileApps: readonly FileApp[], appApiToken: string | undefined): AppTokenInUse[] {
  const fromFile = fileApps.flatMap((app, i) => (app.token !== undefined ? [{ token: app.token, where: `${config.configFile ?? '--config'}: apps[${i}].token (app "${app.appId}")` }] : []));
  if (appApiToken === undefined) return fromFile;
  const flag = config.appApiTokenFile ? `--app-api-token-file (${config.appApiTokenFile})` : settingName('appApiToken');
  return [...fromFile, { token: appApiToken, where: flag }];
}

/** The refusal of an app token that is also an API token, naming both places, never the token (config-file.ts, app/token-reload.ts). */
export function appTokenIsApiToken(appWhere: string, apiWhere: string): string {
  return `${appWhere} is the same token as ${apiWhere}, an API token; an app token goes to the app with every delivery, so whoever receives one could call the API with it: give the app a token that is not an API token`;
}
