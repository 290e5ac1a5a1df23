// What a failure from below the use cases means to a caller. Stores and the engine throw their
// own errors (better-sqlite3's SqliteError with a SQLITE_* code, Node's errno errors, an etcd
// call's error, the engine's "changed repeatedly" after its retries); the edge (api/http and
// api/grpc) asks here which of them are the store's trouble rather than a bug, so a caller gets
// 409/ABORTED or 503/UNAVAILABLE with a Dapr-style body instead of a 500. Read by shape (codes
// and names), not by class: app/ imports no adapter.

import { DuetimeError, StoreConflictError, StoreUnavailableError } from '../core/errors.js';

/** SQLite result codes (primary, before any `_EXTENDED` suffix) that say the file cannot be used now. */
const SQLITE_UNAVAILABLE = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PROTOCOL', 'SQLITE_NOLFS']);

/** errno codes of a file system that cannot take a write now. */
const ERRNO_UNAVAILABLE = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EMFILE', 'ENFILE', 'EAGAIN']);

/** The engine's and the etcd store's message once a conditional write lost its race too often. */
const WRITE_RACE = /changed repeatedly while being (updated|written)/;

/** The store was closed under a request (the server is stopping). */
const CLOSED = /job store is closed/;

/**
 * The DuetimeError a failure stands for: itself when it is one, a StoreConflictError or a
 * StoreUnavailableError when it is the store's trouble, else undefined (a bug: a 500).
 */
export function asDuetimeError(error: unknown): DuetimeError | undefined {
  if (error instanceof DuetimeError) return error;
  if (!(error instanceof Error)) return undefined;
  if (WRITE_RACE.test(error.message)) return new StoreConflictError(`${error.message} (other writers of the job kept changing it)`);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    const primary = code.split('_').slice(0, 2).join('_'); // SQLITE_IOERR_FSYNC -> SQLITE_IOERR
    if (SQLITE_UNAVAILABLE.has(primary)) return unavailable(`${code}: ${error.message}`);
    if (ERRNO_UNAVAILABLE.has(code)) return unavailable(`${code}: ${error.message}`);
  }
  if ((error as { unavailable?: unknown }).unavailable === true) return unavailable(error.message); // an etcd call
  if (CLOSED.test(error.message)) return new StoreUnavailableError('the job store is closed: the server is stopping; retry against another replica or after the restart');
  return undefined;
}

function unavailable(reason: string): StoreUnavailableError {
  return new StoreUnavailableError(`the job store cannot be written now (${reason}); retry shortly`);
}
