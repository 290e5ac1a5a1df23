// App registrations in the SQLite file, table `apps` (schema.ts, version 2). Its own connection
// to the job store's file: registrations are rare, and a statement of their own can never land
// inside one of the job store's group commits. WAL + synchronous = FULL as the job store, so a
// write's promise resolves after the WAL is fsync'd.
//
// One server owns a data directory, so nobody else writes this table: follow() reports the
// changes made through this handle (at most one handle per server), with revisions counted in
// this process. They order changes within the process, which is all a reader compares.

import Database from 'better-sqlite3';
import { decodeRegistration, encodeRegistration } from '../../core/model/app-registration.js';
import type { AppRegistration, AppRegistrationChange, AppRegistrations, StoredRegistration } from '../../core/ports/app-registrations.js';
import { applyPragmas, migrate } from './schema.js';
import type { Stmt } from './statements.js';

export interface SqliteAppRegistrationsOptions {
  /** The job store's database file. Migrated here too when the job store has not yet opened it. */
  path: string;
  /** How long a write waits for the job store's write lock before failing. @defaultValue 5000 */
  busyTimeoutMs?: number;
}

export const SQLITE_APP_REGISTRATIONS_DEFAULTS = { busyTimeoutMs: 5000 } as const;

interface AppRow {
  namespace: string;
  app_id: string;
  endpoint: string;
}

export class SqliteAppRegistrations implements AppRegistrations {
  private readonly db: Database.Database;
  private readonly listAll: { all(): AppRow[] };
  private readonly upsert: Stmt<AppRow>;
  private readonly remove: Stmt<{ namespace: string; app_id: string }>;
  private revision = 0;
  private follower: ((change: AppRegistrationChange) => void) | undefined;
  private closed = false;

  /** Opens a connection to the file; throws an Error naming the path when it cannot. */
  constructor(options: SqliteAppRegistrationsOptions) {
    let db: Database.Database | undefined;
    try {
      db = new Database(options.path, { fileMustExist: false });
      applyPragmas(db, { busyTimeoutMs: options.busyTimeoutMs ?? SQLITE_APP_REGISTRATIONS_DEFAULTS.busyTimeoutMs });
      migrate(db);
      this.listAll = db.prepare<[], AppRow>('SELECT namespace, app_id, endpoint FROM apps ORDER BY namespace, app_id');
      this.upsert = db.prepare<AppRow>(
        'INSERT INTO apps (namespace, app_id, endpoint) VALUES (@namespace, @app_id, @endpoint) ON CONFLICT (namespace, app_id) DO UPDATE SET endpoint = excluded.endpoint',
      );
      this.remove = db.prepare<{ namespace: string; app_id: string }>('DELETE FROM apps WHERE namespace = @namespace AND app_id = @app_id');
    } catch (error) {
      db?.close();
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`cannot open the app registrations in "${options.path}": ${reason}`, { cause: error });
    }
    this.db = db;
  }

  async list(): Promise<StoredRegistration[]> {
    this.open();
    const revision = this.revision;
    return this.listAll.all().flatMap((row) => {
      const value = decodeRegistration(row.endpoint);
      return value ? [{ namespace: row.namespace, appId: row.app_id, ...value, revision }] : [];
    });
  }

  async put(registration: AppRegistration): Promise<number> {
    this.open();
    const { namespace, appId } = registration;
    // One statement in autocommit: COMMIT (and its fsync) has happened when run() returns.
    this.upsert.run({ namespace, app_id: appId, endpoint: encodeRegistration(registration) });
    const revision = ++this.revision;
    this.tell({ kind: 'put', registration: { namespace, appId, endpoint: { ...registration.endpoint, actorTypes: [...registration.endpoint.actorTypes] }, origin: registration.origin }, revision });
    return revision;
  }

  async delete(namespace: string, appId: string): Promise<number> {
    this.open();
    if (this.remove.run({ namespace, app_id: appId }).changes === 0) return this.revision;
    const revision = ++this.revision;
    this.tell({ kind: 'delete', namespace, appId, revision });
    return revision;
  }

  async follow(onChange: (change: AppRegistrationChange) => void): Promise<StoredRegistration[]> {
    this.open();
    if (this.follower) throw new Error('follow() was already called on this handle');
    this.follower = onChange;
    return this.list();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.follower = undefined;
    this.db.close();
  }

  private tell(change: AppRegistrationChange): void {
    try {
      this.follower?.(change);
    } catch {
      // the follower's own problem (see the port)
    }
  }

  private open(): void {
    if (this.closed) throw new Error('the SQLite app registrations are closed');
  }
}
