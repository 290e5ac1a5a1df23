// Read from the component's metadata at start, apart from the adapter: create-components.ts checks
// every component with these readers and loads the adapter, and its client library, only for a
// component that is configured (a server without one does not load pg).
import type pg from 'pg';
import type { MetadataReader } from '../shared/metadata-reader.js';
import { quoteTableName } from '../shared/sql-identifier.js';
import { poolConfigFrom } from './connection-config.js';

export interface PostgresStateConfig {
  /** From connectionString: a postgres:// URL or libpq key/value pairs. */
  connection: pg.PoolConfig;
  /** The quoted table name, e.g. "state" or "public"."state". */
  table: string;
  maxConnections: number;
  connectMs: number;
  operationMs: number;
  /** How often an idle store checks the server is there, so /readyz sees an outage. */
  healthCheckMs: number;
}

const DEFAULT_HEALTH_CHECK_MS = 10_000;

export function readPostgresStateConfig(reader: MetadataReader): PostgresStateConfig {
  const connectionString = reader.requiredString('connectionString', '"postgres://user:password@localhost:5432/db"');
  const parsed = poolConfigFrom(connectionString);
  if (typeof parsed === 'string') reader.fail('connectionString', parsed);
  const tableName = reader.string('tableName') ?? 'state';
  const table = quoteTableName(tableName) ?? reader.fail('tableName', `is "${tableName}"; use a plain name like state or schema.state`);
  return {
    connection: parsed.config,
    table,
    maxConnections: reader.integer('maxConns', parsed.maxConns ?? 5, { min: 1, max: 100 }),
    // Dapr's name for the per-operation timeout is `timeout`.
    ...reader.timeouts({ operation: ['timeout', 'timeoutInSeconds'] }),
    healthCheckMs: reader.duration('healthCheckInterval', DEFAULT_HEALTH_CHECK_MS),
  };
}
