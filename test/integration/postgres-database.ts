// A database of its own for one file in the run's shared PostgreSQL
// (test/integration/shared-server.ts): tables, schemas and rows made by the file live in it, and
// drop() removes them all at once in its afterAll, so the next file finds the server as it was.

import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface FileDatabase {
  /** Its name, for libpq key/value connection strings (dbname=...). */
  readonly name: string;
  /** postgres://postgres@127.0.0.1:{port}/{name} */
  readonly url: string;
  /** Drops it, closing whatever connection is still open to it. */
  drop(): Promise<void>;
}

export async function createFileDatabase(server: { url: string; port: number }): Promise<FileDatabase> {
  const name = `file_${randomBytes(6).toString('hex')}`;
  await onServer(server.url, `CREATE DATABASE ${name}`);
  return {
    name,
    url: `postgres://postgres@127.0.0.1:${server.port}/${name}`,
    drop: () => onServer(server.url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** One statement on the server's own database (CREATE/DROP DATABASE cannot run inside the target). */
async function onServer(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
