import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { StateStore } from '../../../core/ports/state-store.js';
import { HealthTrackedComponent } from '../shared/health-tracked-component.js';
import type { MetadataReader } from '../shared/metadata-reader.js';
import { quoteTableName } from '../shared/sql-identifier.js';

export interface SqliteStateConfig {
  /** The database file (or :memory:). */
  path: string;
  /** Quoted table name. */
  table: string;
  /** How long a write waits for another process's lock before failing (SQLite busy_timeout). */
  busyTimeoutMs: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 2_000;

/** Dapr's connectionString is a path or a file: URI; its query options are SQLite's, not ours. */
function pathOf(connectionString: string): string {
  const withoutScheme = connectionString.replace(/^file:(\/\/)?/, '');
  return withoutScheme.split('?')[0] ?? withoutScheme;
}

export function readSqliteStateConfig(reader: MetadataReader): SqliteStateConfig {
  const connectionString = reader.requiredString('connectionString', '"data/state.db"');
  const tableName = reader.string('tableName') ?? 'state';
  const table = quoteTableName(tableName);
  if (table === undefined || tableName.includes('.')) reader.fail('tableName', `is "${tableName}"; use a plain name like state`);
  return {
    path: pathOf(connectionString),
    table,
    busyTimeoutMs: reader.duration('busyTimeout', DEFAULT_BUSY_TIMEOUT_MS),
  };
}

/**
 * state.sqlite: rows of a table shaped like Dapr's SQLite state table (key primary key, value
 * as JSON text, is_binary, etag, expiration_time, update_time), created when missing, in WAL
 * mode. SQLite is in-process and synchronous: operations never hang on a network; a locked
 * database fails after busyTimeout. Keys are stored as given (no `appId||` prefix).
 */
export class SqliteStateStore extends HealthTrackedComponent implements StateStore {
  readonly #db: Database.Database;
  readonly #upsert: Database.Statement<[string, string, string]>;
  readonly #select: Database.Statement<[string], { value: string }>;
  readonly #remove: Database.Statement<[string]>;

  /** Opens (creating if needed) the database; throws when the file cannot be opened. */
  constructor(
    readonly name: string,
    config: SqliteStateConfig,
    label: string,
  ) {
    super(label);
    this.#db = new Database(config.path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`busy_timeout = ${config.busyTimeoutMs}`);
    this.#db.exec(`CREATE TABLE IF NOT EXISTS ${config.table} (
      key TEXT NOT NULL PRIMARY KEY,
      value TEXT NOT NULL,
      is_binary BOOLEAN NOT NULL DEFAULT 0,
      etag TEXT NOT NULL,
      expiration_time TIMESTAMP DEFAULT NULL,
      update_time TIMESTAMP DEFAULT NULL
    )`);
    this.#upsert = this.#db.prepare(
      `INSERT INTO ${config.table} (key, value, is_binary, etag, update_time) VALUES (?, ?, 0, ?, CURRENT_TIMESTAMP)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, is_binary = 0, etag = excluded.etag,
         update_time = CURRENT_TIMESTAMP, expiration_time = NULL`,
    );
    this.#select = this.#db.prepare(
      `SELECT value FROM ${config.table} WHERE key = ? AND (expiration_time IS NULL OR expiration_time > CURRENT_TIMESTAMP)`,
    );
    this.#remove = this.#db.prepare(`DELETE FROM ${config.table} WHERE key = ?`);
    this.health.up();
  }

  async save(key: string, value: unknown): Promise<void> {
    this.#run('save', key, () => this.#upsert.run(key, JSON.stringify(value ?? null), randomUUID()));
  }

  async get(key: string): Promise<unknown | undefined> {
    const row = this.#run('get', key, () => this.#select.get(key));
    return row === undefined ? undefined : (JSON.parse(row.value) as unknown);
  }

  async delete(key: string): Promise<void> {
    this.#run('delete', key, () => this.#remove.run(key));
  }

  #run<T>(action: string, key: string, op: () => T): T {
    this.assertOpen();
    try {
      const result = op();
      this.health.up();
      return result;
    } catch (err) {
      throw this.failed(`${action} "${key}"`, err, 'down');
    }
  }

  protected async release(): Promise<void> {
    this.#db.close();
  }
}
