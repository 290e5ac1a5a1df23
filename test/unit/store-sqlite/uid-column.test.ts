// The uid column: a lowercase UUID is stored as its 16 bytes, anything else as the text it is.

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { uidColumn, uidOf } from '../../../src/adapters/store-sqlite/row-codec.js';

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
