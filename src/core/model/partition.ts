// Which virtual partition a job belongs to. A cluster splits the key space into a fixed number
// of partitions; each replica owns some of them. The function must never change for a given
// partition count: every replica and the store compute it, and a job's due-index entry lives
// under its partition.

import type { JobKey } from './job.js';
import { keyString } from './job-key.js';

/** The partition count a cluster uses unless configured otherwise. */
export const DEFAULT_PARTITION_COUNT = 256;

/** The largest partition count allowed (partition numbers are written with 4 digits in keys). */
export const MAX_PARTITION_COUNT = 9999;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const encoder = new TextEncoder();

/** 32-bit FNV-1a over the UTF-8 bytes of text. Stable across processes, versions and platforms. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  const bytes = encoder.encode(text);
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** The partition of a job: FNV-1a of namespace, app id and name (NUL-separated) mod count. */
export function partitionOf(key: JobKey, count: number): number {
  return fnv1a32(keyString(key)) % count;
}

export function checkPartitionCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITION_COUNT) {
    throw new RangeError(`the partition count must be a whole number from 1 to ${MAX_PARTITION_COUNT}, got ${count}`);
  }
}
