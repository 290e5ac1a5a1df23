// The writer thread's entry: owns the write connection and runs each batch the store posts in one
// transaction (the same runBatch and applyWriteOp as the in-thread mode), answering only after
// COMMIT returned, which for a batch holding any write a caller is answered for means after the WAL
// was fsync'd (synchronous = FULL; an outcome-only batch commits without: group-commit.ts). The main thread
// meanwhile keeps serving. The store has already created and migrated the file.

import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { runBatch } from './group-commit.js';
import { applyPragmas } from './schema.js';
import { prepareStatements } from './statements.js';
import { decodeOps, type WireOps } from './writer-codec.js';
import { applyWriteOp, needsFullSync, transactionControl, type WriteOp } from './write-ops.js';
import { encodeError, type FromWriter, type ToWriter, type WireError, type WriterInit } from './writer-protocol.js';

const port = parentPort;
if (!port) throw new Error('sqlite-writer-worker must run as a worker thread');
const init = workerData as WriterInit;

let db: Database.Database | undefined;
let openError: unknown;
try {
  db = new Database(init.path, { fileMustExist: true });
  applyPragmas(db, { busyTimeoutMs: init.busyTimeoutMs });
} catch (error) {
  openError = error;
}
const conn = db;
const sql = conn && prepareStatements(conn);
const tx = conn && sql && transactionControl(sql, conn);

port.on('message', (message: ToWriter) => {
  if (message.type === 'close') {
    conn?.close();
    port.postMessage({ type: 'closed' } satisfies FromWriter);
    port.close();
    return;
  }
  port.postMessage(commit(message.ops));
});

function commit(wire: WireOps): FromWriter {
  if (!sql || !tx) return { type: 'failed', error: encodeError(openError) };
  let ops: WriteOp[];
  try {
    ops = decodeOps(wire, true); // the engine's outcomes are applied from the wire in place
  } catch (error) {
    return { type: 'failed', error: encodeError(error) };
  }
  try {
    const results = runBatch(
      tx,
      ops.map((op) => () => applyWriteOp(sql, init.historyLimit, op, tx.live)),
      ops.some(needsFullSync),
    );
    const values: unknown[] = [];
    const errors: [number, WireError][] = [];
    results.forEach((result, i) => {
      if (result.ok) values.push(result.value);
      else {
        values.push(undefined);
        errors.push([i, encodeError(result.error, ops[i])]);
      }
    });
    return { type: 'results', values, errors };
  } catch (error) {
    return { type: 'failed', error: encodeError(error) };
  }
}
