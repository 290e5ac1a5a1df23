// Where everything lives in etcd, under one prefix (default /duetime/). etcd orders keys by
// bytes; job keys end in `namespace NUL appId NUL name` (UTF-8), so one app's jobs are a
// contiguous range in name order (byte order of UTF-8 = code point order), and NUL, which no
// name contains, ends a name where something follows it.
//
//   {P}job/d/{K}                  the definition (JSON)
//   {P}job/p/{K}                  the progress, with the definition's uid and the history seqs
//   {P}hist/{K}\0{seq}            one tick outcome; seq = the progress rev that wrote it
//   {P}due/{part}/{at}/{K}        the due index: partition (4 digits), due instant (16 digits)
//   {P}staged/{part}/{ns}\0{app}\0{at}\0{name}
//                                 the staged index: jobs whose trigger waits for a consumer of
//                                 their app, by partition, then app, then due instant, so a
//                                 release reads one app's staged jobs in due order
//   {P}ended/{part}/{at}/{K}      the finished index: tombstones (finished jobs kept to be read)
//                                 by partition, then the instant they finished, for the sweep
//   {P}cluster/members/{id}       a live replica, under its lease
//   {P}cluster/owners/{part}      the member owning a partition, under that member's lease
//   {P}meta/partitions            the partition count the cluster was created with
//   {P}apps/{ns}\0{app}           an app's registration (endpoint JSON), watched by every replica
//
// A replica follows jobs changed through other replicas by watching the due and staged indexes
// (keys only, no values), not job/: every write that moves a job in or out of memory moves its
// index key, and the key names the partition, so other owners' changes are dropped unread.

import type { JobKey } from '../../core/model/job.js';
import { appKeyString, keyString, parseAppKeyString, parseKeyString } from '../../core/model/job-key.js';

const AT_DIGITS = 16;
const PART_DIGITS = 4;
/** The largest instant the due index holds (16 digits); later instants are clamped to it. */
const MAX_AT = Number.MAX_SAFE_INTEGER;

export class KeyLayout {
  readonly prefix: string;
  private readonly defs: string;
  private readonly progress: string;
  private readonly hist: string;
  private readonly due: string;
  private readonly stagedIndex: string;
  private readonly finishedIndex: string;
  readonly members: string;
  readonly owners: string;
  readonly partitionsKey: Buffer;
  /** The due index, all partitions: one of the two ranges the job watch follows. */
  readonly dueIndexRange: { start: Buffer; end: Buffer };
  /** The staged index, all partitions: the other range the job watch follows. */
  readonly stagedIndexRange: { start: Buffer; end: Buffer };
  /** Members and owners: the range the membership watch follows. */
  readonly clusterRange: { start: Buffer; end: Buffer };
  /** Every app registration: the range the registrations watch follows. */
  readonly appsRange: { start: Buffer; end: Buffer };
  private readonly apps: string;
  private readonly dueBytes: Buffer;
  private readonly stagedBytes: Buffer;

  constructor(prefix: string) {
    this.prefix = prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.defs = `${this.prefix}job/d/`;
    this.progress = `${this.prefix}job/p/`;
    this.hist = `${this.prefix}hist/`;
    this.due = `${this.prefix}due/`;
    this.stagedIndex = `${this.prefix}staged/`;
    this.finishedIndex = `${this.prefix}ended/`;
    this.members = `${this.prefix}cluster/members/`;
    this.owners = `${this.prefix}cluster/owners/`;
    this.partitionsKey = Buffer.from(`${this.prefix}meta/partitions`);
    this.dueIndexRange = prefixRange(Buffer.from(this.due));
    this.stagedIndexRange = prefixRange(Buffer.from(this.stagedIndex));
    this.clusterRange = prefixRange(Buffer.from(`${this.prefix}cluster/`));
    this.apps = `${this.prefix}apps/`;
    this.dueBytes = Buffer.from(this.due);
    this.stagedBytes = Buffer.from(this.stagedIndex);
    this.appsRange = prefixRange(Buffer.from(this.apps));
  }

  appKey(namespace: string, appId: string): Buffer {
    return Buffer.from(`${this.apps}${appKeyString(namespace, appId)}`);
  }

  /** The app a registration key names, or undefined for another key. */
  appOfAppKey(key: Buffer): { namespace: string; appId: string } | undefined {
    const text = key.toString('utf8');
    if (!text.startsWith(this.apps)) return undefined;
    const id = text.slice(this.apps.length);
    return id.includes('\u0000') ? parseAppKeyString(id) : undefined;
  }

  /** The job part of keys: namespace NUL appId NUL name. */
  jobId(key: JobKey): string {
    return keyString(key);
  }

  defKey(key: JobKey): Buffer {
    return this.defKeyOf(this.jobId(key));
  }

  /** defKey() of a job whose jobId() the caller already has (a write builds several keys of one job). */
  defKeyOf(id: string): Buffer {
    return Buffer.from(this.defs + id);
  }

  progressKey(key: JobKey): Buffer {
    return this.progressKeyOf(this.jobId(key));
  }

  progressKeyOf(id: string): Buffer {
    return Buffer.from(this.progress + id);
  }

  historyKey(key: JobKey, seq: number): Buffer {
    return this.historyKeyOf(this.jobId(key), seq);
  }

  historyKeyOf(id: string, seq: number): Buffer {
    return Buffer.from(`${this.hist}${id}\u0000${String(seq).padStart(12, '0')}`);
  }

  /** Every history entry of one job. */
  historyRange(key: JobKey): { start: Buffer; end: Buffer } {
    return prefixRange(Buffer.from(`${this.hist}${this.jobId(key)}\u0000`));
  }

  dueKey(partition: number, at: number, key: JobKey): Buffer {
    return this.dueKeyOf(partition, at, this.jobId(key));
  }

  dueKeyOf(partition: number, at: number, id: string): Buffer {
    return Buffer.from(`${this.due}${part(partition)}/${instant(at)}/${id}`);
  }

  /** Due-index entries of one partition due at or before `until`. */
  dueRange(partition: number, until: number): { start: Buffer; end: Buffer } {
    const base = `${this.due}${part(partition)}/`;
    return { start: Buffer.from(base), end: Buffer.from(base + instant(Math.min(until, MAX_AT - 1) + 1)) };
  }

  finishedKey(partition: number, at: number, key: JobKey): Buffer {
    return this.finishedKeyOf(partition, at, this.jobId(key));
  }

  finishedKeyOf(partition: number, at: number, id: string): Buffer {
    return Buffer.from(`${this.finishedIndex}${part(partition)}/${instant(at)}/${id}`);
  }

  /** Finished-index entries of one partition that finished at or before `until`. */
  finishedRange(partition: number, until: number): { start: Buffer; end: Buffer } {
    const base = `${this.finishedIndex}${part(partition)}/`;
    return { start: Buffer.from(base), end: Buffer.from(base + instant(Math.min(until, MAX_AT - 1) + 1)) };
  }

  /** The job and instant a finished-index key files. */
  parseFinishedKey(finishedKey: Buffer): { key: JobKey; at: number } {
    const start = Buffer.byteLength(this.finishedIndex) + PART_DIGITS + 1;
    return {
      at: Number(finishedKey.subarray(start, start + AT_DIGITS).toString('latin1')),
      key: parseJobId(finishedKey.subarray(start + AT_DIGITS + 1).toString('utf8')),
    };
  }

  stagedKey(partition: number, at: number, key: JobKey): Buffer {
    return Buffer.from(`${this.stagedIndex}${part(partition)}/${key.namespace}\u0000${key.appId}\u0000${instant(at)}\u0000${key.name}`);
  }

  /** Staged-index entries of one partition: of one app, or all of them. */
  stagedRange(partition: number, app?: { namespace: string; appId: string }): { start: Buffer; end: Buffer } {
    const base = `${this.stagedIndex}${part(partition)}/`;
    return prefixRange(Buffer.from(app ? `${base}${app.namespace}\u0000${app.appId}\u0000` : base));
  }

  /** The job and instant a staged-index key files. */
  parseStagedKey(stagedKey: Buffer): { key: JobKey; at: number } {
    const text = stagedKey.subarray(Buffer.byteLength(this.stagedIndex) + PART_DIGITS + 1).toString('utf8');
    const first = text.indexOf('\u0000');
    const second = text.indexOf('\u0000', first + 1);
    const third = second + 1 + AT_DIGITS;
    if (first < 0 || second < 0 || text[third] !== '\u0000') throw new Error(`etcd store: malformed staged key ${JSON.stringify(text)}`);
    return {
      key: { namespace: text.slice(0, first), appId: text.slice(first + 1, second), name: text.slice(third + 1) },
      at: Number(text.slice(second + 1, third)),
    };
  }

  /**
   * A due- or staged-index key's partition, read from its fixed place without decoding the job
   * (the watch drops other owners' keys on this alone); undefined for any other key.
   */
  partitionOfIndexKey(key: Buffer): { kind: 'due' | 'staged'; partition: number } | undefined {
    // Every replica runs this for every index change in the cluster: bytes compared and digits
    // read in place, no slices, strings or arrays made.
    const kind = hasPrefix(key, this.dueBytes) ? 'due' : hasPrefix(key, this.stagedBytes) ? 'staged' : undefined;
    if (kind === undefined) return undefined;
    const start = kind === 'due' ? this.dueBytes.length : this.stagedBytes.length;
    if (key.length <= start + PART_DIGITS) return undefined;
    let partition = 0;
    for (let i = start; i < start + PART_DIGITS; i++) {
      const digit = key[i]! - 0x30;
      if (digit < 0 || digit > 9) return undefined;
      partition = partition * 10 + digit;
    }
    return { kind, partition };
  }

  /** The job a due-index key points at. */
  jobOfDueKey(dueKey: Buffer): JobKey {
    const start = Buffer.byteLength(this.due) + PART_DIGITS + 1 + AT_DIGITS + 1;
    return parseJobId(dueKey.subarray(start).toString('utf8'));
  }

  /** The due instant a due-index key files its job under. */
  instantOfDueKey(dueKey: Buffer): number {
    const start = Buffer.byteLength(this.due) + PART_DIGITS + 1;
    return Number(dueKey.subarray(start, start + AT_DIGITS).toString('latin1'));
  }

  /** The job a definition or progress key belongs to, or undefined for another key. */
  jobOfJobKey(key: Buffer): { key: JobKey; kind: 'def' | 'progress' } | undefined {
    const text = key.toString('utf8');
    if (text.startsWith(this.defs)) return { key: parseJobId(text.slice(this.defs.length)), kind: 'def' };
    if (text.startsWith(this.progress)) return { key: parseJobId(text.slice(this.progress.length)), kind: 'progress' };
    return undefined;
  }

  /** Definitions of one app whose names start with namePrefix, from `after` (exclusive) on. */
  appRange(kind: 'def' | 'progress', namespace: string, appId: string, namePrefix: string, after?: string): { start: Buffer; end: Buffer } {
    const base = kind === 'def' ? this.defs : this.progress;
    const app = Buffer.from(`${base}${namespace}\u0000${appId}\u0000`);
    const range = prefixRange(Buffer.concat([app, Buffer.from(namePrefix)]));
    if (after !== undefined) {
      // NUL is the least byte and no name holds it: `after` NUL is the first key past `after`.
      const cursor = Buffer.concat([app, Buffer.from(after), Buffer.from([0])]);
      if (Buffer.compare(cursor, range.start) > 0) return { start: cursor, end: range.end };
    }
    return range;
  }

  memberKey(id: string): Buffer {
    return Buffer.from(this.members + id);
  }

  ownerKey(partition: number): Buffer {
    return Buffer.from(this.owners + part(partition));
  }

  /** The partition an owner key names, or undefined for another key. */
  partitionOfOwnerKey(key: Buffer): number | undefined {
    const text = key.toString('utf8');
    if (!text.startsWith(this.owners)) return undefined;
    const n = Number(text.slice(this.owners.length));
    return Number.isInteger(n) ? n : undefined;
  }

  /** The member id a member key names, or undefined for another key. */
  memberOfMemberKey(key: Buffer): string | undefined {
    const text = key.toString('utf8');
    return text.startsWith(this.members) ? text.slice(this.members.length) : undefined;
  }
}

function hasPrefix(key: Buffer, prefix: Buffer): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

/** [prefix, the first key after every key with the prefix). */
export function prefixRange(prefix: Buffer): { start: Buffer; end: Buffer } {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return { start: prefix, end: end.subarray(0, i + 1) };
    }
  }
  // Only 0xff bytes: to the end of the key space.
  return { start: prefix, end: Buffer.from([0]) };
}

function parseJobId(id: string): JobKey {
  return parseKeyString(id);
}

function part(partition: number): string {
  return String(partition).padStart(PART_DIGITS, '0');
}

function instant(at: number): string {
  // Instants before 1970 (never produced, but representable) sort as 0: they are overdue anyway.
  return String(Math.max(0, Math.min(Math.trunc(at), MAX_AT))).padStart(AT_DIGITS, '0');
}
