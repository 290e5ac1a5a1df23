// Where app registrations are kept: in the job store's storage (a table in SQLite, keys in etcd),
// so they survive restarts and every replica of a cluster sees the same ones. The delivery path
// never reads this port; AppRegistry (app/) holds the registrations in memory, loads them at
// start, writes through on a change and follows the changes other replicas make.

import type { AppEndpoint } from './app-directory.js';

/**
 * Where a registration came from. `config`: a replica's own --app-url or config file, written at
 * its start; `api`: PUT /v1.0/apps/{appId}. A replica keeps using its own configuration for an
 * app when another replica's configuration differs, but follows a registration made through the
 * API wherever it was made.
 */
export type RegistrationOrigin = 'config' | 'api';

export interface AppRegistration {
  namespace: string;
  appId: string;
  endpoint: AppEndpoint;
  origin: RegistrationOrigin;
}

export interface StoredRegistration extends AppRegistration {
  /** The revision of the write that stored it (see AppRegistrationChange). */
  revision: number;
}

/**
 * One committed change. `revision` orders the changes of one store: a later change has a larger
 * revision, so a reader that applied revision r of an app ignores any change of it at r or below
 * (a change it already made itself, or one overtaken by a later write).
 */
export type AppRegistrationChange =
  | { kind: 'put'; registration: AppRegistration; revision: number }
  | { kind: 'delete'; namespace: string; appId: string; revision: number };

export interface AppRegistrations {
  /** Every stored registration, in (namespace, appId) order. */
  list(): Promise<StoredRegistration[]>;
  /** Stores or replaces one; resolves with the change's revision once it is durable. */
  put(registration: AppRegistration): Promise<number>;
  /** Removes one (nothing to remove is no error); resolves with a revision once durable. */
  delete(namespace: string, appId: string): Promise<number>;
  /**
   * Returns the stored registrations, then reports every change committed after that read, in
   * revision order: changes written through this handle and those written by any other replica
   * on the same storage. Called at most once per handle. A listener's error is not the store's:
   * it is caught and ignored here, so callers handle their own.
   */
  follow(onChange: (change: AppRegistrationChange) => void): Promise<StoredRegistration[]>;
  /** Stops following; further calls reject. */
  close(): Promise<void>;
}
