import { describe, expect, it } from 'vitest';
import { keyString } from '../../../src/core/model/job-key.js';
import { fnv1a32, partitionOf } from '../../../src/core/model/partition.js';

// The definition the hash must keep: FNV-1a over TextEncoder's UTF-8. Every replica and every
// index key in etcd depends on it never changing.
function reference(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const samples = [
  '',
  'a',
  'default\u0000default\u0000burst-1',
  'héllo wörld',
  '日本語のジョブ',
  'emoji 🎉 job',
  'lone \ud800 high',
  'lone \udc00 low',
  'ends in \ud83d',
  '\u007f\u0080\u07ff\u0800\uffff',
  'x'.repeat(300),
];

describe('partition hash', () => {
  it('is FNV-1a over the UTF-8 bytes, lone surrogates as U+FFFD', () => {
    for (const text of samples) expect(fnv1a32(text), JSON.stringify(text)).toBe(reference(text));
  });

  it('matches the reference on random strings of any code units', () => {
    let seed = 42;
    const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let n = 0; n < 2000; n++) {
      const units = Array.from({ length: Math.floor(random() * 12) }, () => {
        const r = random();
        return r < 0.4 ? Math.floor(random() * 0x80) : r < 0.6 ? Math.floor(random() * 0x800) : r < 0.8 ? 0xd800 + Math.floor(random() * 0x800) : Math.floor(random() * 0x10000);
      });
      const text = String.fromCharCode(...units);
      expect(fnv1a32(text)).toBe(reference(text));
    }
  });

  it('partitions a job by the hash of its key string', () => {
    for (const name of samples) {
      const key = { namespace: 'ns-é', appId: 'app', name };
      for (const count of [1, 7, 256, 9999]) expect(partitionOf(key, count)).toBe(reference(keyString(key)) % count);
    }
  });
});
