// Which virtual partition a job belongs to. A cluster splits the key space into a fixed number
// of partitions; each replica owns some of them. The function must never change for a given
// partition count: every replica and the store compute it, and a job's due-index entry lives
// under its partition.

import type { JobKey } from './job.js';

/** The partition count a cluster uses unless configured otherwise. */
export const DEFAULT_PARTITION_COUNT = 256;

/** The largest partition count allowed (partition numbers are written with 4 digits in keys). */
export const MAX_PARTITION_COUNT = 9999;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a over the UTF-8 bytes of text. Stable across processes, versions and platforms. */
export function fnv1a32(text: string): number {
  return fnvUtf8(FNV_OFFSET, text) >>> 0;
}

/**
 * The partition of a job: FNV-1a of namespace, app id and name (NUL-separated, as keyString()
 * joins them) mod count. Hashed part by part, with no joined string or byte array made: every
 * trigger and commit on a cluster asks, several times.
 */
export function partitionOf(key: JobKey, count: number): number {
  let hash = fnvUtf8(FNV_OFFSET, key.namespace);
  hash = Math.imul(hash, FNV_PRIME); // the NUL byte: hash ^ 0 = hash
  hash = fnvUtf8(hash, key.appId);
  hash = Math.imul(hash, FNV_PRIME);
  hash = fnvUtf8(hash, key.name);
  return (hash >>> 0) % count;
}

/**
 * Folds the UTF-8 encoding of text into an FNV-1a hash, byte for byte what TextEncoder would
 * give (a lone surrogate encodes as U+FFFD), without making the bytes.
 */
function fnvUtf8(hash: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      hash = Math.imul(hash ^ c, FNV_PRIME);
      continue;
    }
    if (c < 0x800) {
      hash = Math.imul(hash ^ (0xc0 | (c >> 6)), FNV_PRIME);
      hash = Math.imul(hash ^ (0x80 | (c & 0x3f)), FNV_PRIME);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        hash = Math.imul(hash ^ (0xf0 | (cp >> 18)), FNV_PRIME);
        hash = Math.imul(hash ^ (0x80 | ((cp >> 12) & 0x3f)), FNV_PRIME);
        hash = Math.imul(hash ^ (0x80 | ((cp >> 6) & 0x3f)), FNV_PRIME);
        hash = Math.imul(hash ^ (0x80 | (cp & 0x3f)), FNV_PRIME);
        continue;
      }
      c = 0xfffd;
    }
    hash = Math.imul(hash ^ (0xe0 | (c >> 12)), FNV_PRIME);
    hash = Math.imul(hash ^ (0x80 | ((c >> 6) & 0x3f)), FNV_PRIME);
    hash = Math.imul(hash ^ (0x80 | (c & 0x3f)), FNV_PRIME);
  }
  return hash;
}

export function checkPartitionCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITION_COUNT) {
    throw new RangeError(`the partition count must be a whole number from 1 to ${MAX_PARTITION_COUNT}, got ${count}`);
  }
}
