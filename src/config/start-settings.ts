// Settings checked before anything starts, so a typo is one line naming the flag, its env twin and
// the fix instead of a library's words (Node's "options.port should be >= 0 and < 65536", pino's
// "default level:loud must be included in custom levels") or a server that runs without its app.

import { InvalidRequestError } from '../core/errors.js';
import { validateAppEndpoint } from '../core/model/app-endpoint.js';
import { settingName, type DuetimeConfig } from './config.js';
import { outboundPolicyOf } from './outbound-settings.js';

/** The levels --log-level takes (pino's, and silent). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const PORT_SETTINGS = ['port', 'grpcPort', 'schedulerPort'] as const;

/** Throws an Error starting "cannot start:" for the first setting that cannot work. */
export function checkStartSettings(config: DuetimeConfig): void {
  for (const key of PORT_SETTINGS) {
    const value = config[key];
    if (!Number.isInteger(value) || value < 0 || value > 65_535) {
      throw new Error(`cannot start: ${settingName(key)} ${String(value)} is not a port; use 0 to 65535 (0 picks a free one)`);
    }
  }
  if (!(LOG_LEVELS as readonly string[]).includes(config.logLevel)) {
    throw new Error(`cannot start: ${settingName('logLevel')} "${shorten(String(config.logLevel))}" is not a level; use one of ${LOG_LEVELS.join(', ')}`);
  }
  // A bad --allow-outbound entry stops the start here, naming the flag.
  const outbound = outboundPolicyOf(config);
  if (config.appUrl !== undefined) {
    try {
      // The rules of PUT /v1.0/apps/{appId}: --app-url registers the default app the same way.
      validateAppEndpoint({ url: config.appUrl }, outbound);
    } catch (error) {
      if (!(error instanceof InvalidRequestError)) throw error;
      throw new Error(`cannot start: ${settingName('appUrl')} "${shorten(config.appUrl)}": ${error.message}`, { cause: error });
    }
  }
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
