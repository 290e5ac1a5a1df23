import pg from 'pg';
import type { StateStore } from '../../../core/ports/state-store.js';
import { HealthTrackedComponent } from '../shared/health-tracked-component.js';
import { errorMessage } from '../shared/error-message.js';
import { withTimeout } from '../shared/with-timeout.js';
import type { PostgresStateConfig } from './postgresql-config.js';

/**
 * state.postgresql: rows of a table shaped like Dapr's v1 state table (key text primary key,
 * value jsonb, isbinary, insertdate, updatedate, expiredate), created when missing. Values are
 * stored as jsonb, so SQL reads them as JSON. Rows whose expiredate has passed read as absent,
 * as in Dapr. Keys are stored as given (no `appId||` prefix).
 *
 * jsonb cannot hold every JSON value: a string (or member name) with a NUL character or a lone
 * UTF-16 surrogate is refused by PostgreSQL. Such a value is stored as Dapr stores bytes that
 * are not JSON: isbinary true and the value a jsonb string holding the base64 of its JSON text,
 * so it still round-trips (and Dapr reads it back as that JSON text).
 */
export class PostgresStateStore extends HealthTrackedComponent implements StateStore {
  readonly #pool: pg.Pool;
  #tableReady: Promise<void> | undefined;
  readonly #probe: NodeJS.Timeout;

  constructor(
    readonly name: string,
    private readonly config: PostgresStateConfig,
    label: string,
  ) {
    super(label);
    this.#pool = new pg.Pool({
      ...config.connection,
      max: config.maxConnections,
      connectionTimeoutMillis: config.connectMs,
      query_timeout: config.operationMs,
      statement_timeout: config.operationMs,
      idleTimeoutMillis: 30_000,
      application_name: `duetime-${name}`,
    });
    // An idle client whose server went away emits here; without a listener it would crash us.
    this.#pool.on('error', (err) => this.health.down(errorMessage(err)));
    void this.#check();
    this.#probe = setInterval(() => void this.#check(), config.healthCheckMs);
    this.#probe.unref();
  }

  async #check(): Promise<void> {
    try {
      await this.#ensureTable();
      await this.#pool.query('SELECT 1');
      if (!this.health.isClosed) this.health.up();
    } catch (err) {
      if (!this.health.isClosed) this.health.down(errorMessage(err));
    }
  }

  #ensureTable(): Promise<void> {
    this.#tableReady ??= this.#pool
      .query(
        `CREATE TABLE IF NOT EXISTS ${this.config.table} (
          key text NOT NULL PRIMARY KEY,
          value jsonb NOT NULL,
          isbinary boolean NOT NULL DEFAULT false,
          insertdate timestamp with time zone NOT NULL DEFAULT now(),
          updatedate timestamp with time zone NULL,
          expiredate timestamp with time zone NULL
        )`,
      )
      .then(() => undefined)
      .catch((err: unknown) => {
        // Try again on the next operation (the server may come back).
        this.#tableReady = undefined;
        throw err;
      });
    return this.#tableReady;
  }

  async save(key: string, value: unknown): Promise<void> {
    const text = JSON.stringify(value ?? null);
    const binary = !jsonbCanHold(value ?? null);
    await this.#run('save', key, () =>
      this.#pool.query(
        `INSERT INTO ${this.config.table} (key, value, isbinary) VALUES ($1, $2::jsonb, $3)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, isbinary = EXCLUDED.isbinary, updatedate = now(), expiredate = NULL`,
        [key, binary ? JSON.stringify(Buffer.from(text).toString('base64')) : text, binary],
      ),
    );
  }

  async get(key: string): Promise<unknown | undefined> {
    const result = await this.#run('get', key, () =>
      this.#pool.query<{ value: unknown; isbinary: boolean }>(
        `SELECT value, isbinary FROM ${this.config.table} WHERE key = $1 AND (expiredate IS NULL OR expiredate > now())`,
        [key],
      ),
    );
    const row = result.rows[0];
    if (row === undefined) return undefined;
    return row.isbinary && typeof row.value === 'string' ? fromBinary(row.value) : row.value;
  }

  async delete(key: string): Promise<void> {
    await this.#run('delete', key, () => this.#pool.query(`DELETE FROM ${this.config.table} WHERE key = $1`, [key]));
  }

  async #run<T>(action: string, key: string, op: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      // connect + query each have their own timeouts in pg; this bounds the sum as well.
      const result = await withTimeout(
        this.#ensureTable().then(op),
        this.config.connectMs + 2 * this.config.operationMs,
        `${action} "${key}"`,
      );
      this.health.up();
      return result;
    } catch (err) {
      // A data exception (SQLSTATE class 22) is about the value, not the server: noted, not down.
      throw this.failed(`${action} "${key}"`, err, sqlState(err)?.startsWith('22') ? 'note' : 'down');
    }
  }

  protected async release(): Promise<void> {
    clearInterval(this.#probe);
    await withTimeout(this.#pool.end(), this.config.operationMs, 'closing the PostgreSQL pool').catch(() => undefined);
  }
}

/** PostgreSQL refuses NUL (\u0000) in jsonb text, and surrogates that do not pair up. */
const LONE_SURROGATE = /\p{Surrogate}/u;
const jsonbRefuses = (text: string): boolean => text.includes('\u0000') || LONE_SURROGATE.test(text);

/** False when some string or member name in the value is one jsonb refuses. */
function jsonbCanHold(value: unknown): boolean {
  if (typeof value === 'string') return !jsonbRefuses(value);
  if (Array.isArray(value)) return value.every(jsonbCanHold);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).every(([name, member]) => !jsonbRefuses(name) && (member === undefined || jsonbCanHold(member)));
  }
  return true;
}

/** A binary row's value: the base64 of a JSON text (as save writes it), or, when not JSON, as stored. */
function fromBinary(base64: string): unknown {
  try {
    return JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) as unknown;
  } catch {
    return base64;
  }
}

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
