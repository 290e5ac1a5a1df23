// Store failures at the edge: a write that kept losing its race (the engine's and the etcd
// store's "changed repeatedly") is 409 / ABORTED, the store's I/O trouble (SQLITE_BUSY, a full
// disk, an I/O error, an unreachable etcd) is 503 / UNAVAILABLE, each with a Dapr-style body;
// a bug is still a 500. HTTP through a real Fastify with the production error handler; gRPC
// through toGrpcError. The errors are the real classes the stores throw.

import { status } from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { toGrpcError } from '../../../src/api/grpc/grpc-errors.js';
import { handleError } from '../../../src/api/http/error-mapping.js';

const quiet = pino({ level: 'silent' });

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

const cases: Array<{ what: string; error: () => Error; http: number; grpc: status; errorCode: string }> = [
  { what: 'the engine gave up on a write race', error: () => new Error('job "j" changed repeatedly while being updated; try again'), http: 409, grpc: status.ABORTED, errorCode: 'ERR_STORE_CONFLICT' },
  { what: 'the etcd store gave up on a write race', error: () => new Error('job "j" changed repeatedly while being written; try again'), http: 409, grpc: status.ABORTED, errorCode: 'ERR_STORE_CONFLICT' },
  { what: 'SQLITE_BUSY', error: () => new Database.SqliteError('database is locked', 'SQLITE_BUSY'), http: 503, grpc: status.UNAVAILABLE, errorCode: 'ERR_STORE_UNAVAILABLE' },
  { what: 'SQLITE_FULL (disk full)', error: () => new Database.SqliteError('database or disk is full', 'SQLITE_FULL'), http: 503, grpc: status.UNAVAILABLE, errorCode: 'ERR_STORE_UNAVAILABLE' },
  { what: 'SQLITE_IOERR_FSYNC', error: () => new Database.SqliteError('disk I/O error', 'SQLITE_IOERR_FSYNC'), http: 503, grpc: status.UNAVAILABLE, errorCode: 'ERR_STORE_UNAVAILABLE' },
  { what: 'ENOSPC', error: () => errno('ENOSPC', 'no space left on device'), http: 503, grpc: status.UNAVAILABLE, errorCode: 'ERR_STORE_UNAVAILABLE' },
  { what: 'a closed store (stopping)', error: () => new Error('the SQLite job store is closed'), http: 503, grpc: status.UNAVAILABLE, errorCode: 'ERR_STORE_UNAVAILABLE' },
  { what: 'a bug', error: () => new TypeError('x is undefined'), http: 500, grpc: status.INTERNAL, errorCode: 'ERR_INTERNAL' },
];

describe('store failures at the edge', () => {
  for (const c of cases) {
    it(`${c.what}: HTTP ${c.http}, gRPC ${status[c.grpc]}`, async () => {
      const app = Fastify({ logger: false });
      app.setErrorHandler(handleError);
      app.get('/fail', async () => {
        throw c.error();
      });
      const res = await app.inject({ method: 'GET', url: '/fail' });
      await app.close();
      expect(res.statusCode).toBe(c.http);
      const body = res.json<{ errorCode: string; message: string }>();
      expect(body.errorCode).toBe(c.errorCode);
      expect(typeof body.message).toBe('string');

      const grpc = toGrpcError(c.error(), quiet);
      expect(grpc.code).toBe(c.grpc);
      expect(grpc.metadata?.get('dapr-error-code')).toEqual([c.errorCode]);
    });
  }
});
