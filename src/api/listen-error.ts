// A listening port could not be bound. Carries which setting named the port, so the composition
// root can tell the user which flag (and env twin) to change; the API layer knows no flags.

import type { DuetimeConfig } from '../config/config.js';

export type PortSetting = Extract<keyof DuetimeConfig, 'port' | 'grpcPort' | 'schedulerPort'>;

export class ListenError extends Error {
  constructor(
    /** The setting that gave the port. */
    readonly setting: PortSetting,
    readonly host: string,
    readonly port: number,
    /** Why, in the OS's or library's words (e.g. "address already in use"). */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`cannot listen on ${host}:${port}: ${reason}`, options);
    this.name = 'ListenError';
  }
}
