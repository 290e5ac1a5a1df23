// The uid column: a lowercase UUID is stored as its 16 bytes, anything else as the text it is.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../../src/adapters/store-sqlite/sqlite-job-store.js';
import { uidArgument, uidColumn, uidOf } from '../../../src/adapters/store-sqlite/row-codec.js';
import { key, minimalRecord } from '../../conformance/job-store.suite.js';

describe('uidColumn', () => {
  it('stores a lowercase UUID as its 16 bytes, and reads it back', () => {
    for (let i = 0; i < 200; i++) {
      const uid = randomUUID();
      const column = uidColumn(uid);
      expect(column).toEqual(Buffer.from(uid.replaceAll('-', ''), 'hex'));
      expect(uidOf(column)).toBe(uid);
    }
    expect(uidColumn('00000000-0000-0000-0000-000000000000')).toEqual(Buffer.alloc(16));
    expect(uidColumn('ffffffff-ffff-ffff-ffff-ffffffffffff')).toEqual(Buffer.alloc(16, 0xff));
  });

  it('leaves any other uid as text, so it reads back unchanged', () => {
    const others = [
      '',
      'job-1',
      'A0B1C2D3-E4F5-4a6b-8c9d-0e1f2a3b4c5d', // uppercase: not what the services generate
      'a0b1c2d3e4f54a6b8c9d0e1f2a3b4c5d', // no dashes
      'a0b1c2d3-e4f5-4a6b-8c9d-0e1f2a3b4c5', // one short
      'a0b1c2d3-e4f5-4a6b-8c9d-0e1f2a3b4c5dd', // one long
      'a0b1c2d3_e4f5-4a6b-8c9d-0e1f2a3b4c5d', // a dash elsewhere
      'a0b1c2d3-e4f5-4a6b-8c9d-0e1f2a3b4c5g', // not hex
      'g0b1c2d3-e4f5-4a6b-8c9d-0e1f2a3b4c5d',
      'a0b1c2d3-e4f5-4a6b-8c9d-0e1f2a3b4c/d', // just below '0'
      'a0b1c2d3-e4f5-4a6b-8c9d-0e1f2a3b4c:d', // just above '9'
      'a0b1c2d3-e4f5-4a6b-8c9d-0e1f2a3b4c`d', // just below 'a'
    ];
    for (const uid of others) {
      expect(uidColumn(uid)).toBe(uid);
      expect(uidOf(uidColumn(uid))).toBe(uid);
    }
  });
});

describe('uidArgument', () => {
  it('encodes as uidColumn does, into one shared Buffer', () => {
    const first = uidArgument(randomUUID());
    for (const uid of [randomUUID(), randomUUID(), 'job-1']) {
      const argument = uidArgument(uid);
      expect(argument).toEqual(uidColumn(uid));
      if (typeof argument !== 'string') expect(argument).toBe(first);
    }
  });

  it('guards each write of a batch of outcomes with its own uid, on both store threads', async () => {
    for (const writerThread of [false, true]) {
      const dir = mkdtempSync(join(tmpdir(), 'duetime-uid-argument-'));
      const store = new SqliteJobStore({ path: join(dir, 'jobs.db'), writerThread });
      try {
        const records = Array.from({ length: 40 }, (_, i) => minimalRecord(key(`u-${i}`)));
        for (const r of records) await store.create(r, { overwrite: false });
        // Every other commit names a uid that is not its job's: refused, while its neighbours,
        // bound right before and after it from the same Buffer, are written.
        const results = await store.commitProgressBatch(
          records.map((r, i) => ({ key: r.def.key, uid: i % 2 === 0 ? r.def.uid : randomUUID(), expectedRev: r.progress.rev, progress: { ...r.progress, rev: r.progress.rev + 1 } })),
        );
        expect(results).toEqual(records.map((_, i) => i % 2 === 0));
        for (const [i, r] of records.entries()) expect((await store.get(r.def.key))?.progress.rev).toBe(r.progress.rev + (i % 2 === 0 ? 1 : 0));
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
