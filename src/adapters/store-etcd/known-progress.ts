// What this replica last saw of each job's progress key: its etcd mod revision and the parts a
// commit needs (uid, rev, where the due index files it, which history entries exist). With it a
// progress commit is one conditional transaction, "the progress key is still at the revision I
// saw", instead of a read followed by a transaction. A miss or a stale entry only costs the read.
//
// Also the highest etcd revision per job that this replica wrote itself, which the job watch
// uses to skip changes the engine already knows. Reads do not count: what an API call read was
// not necessarily handed to the engine.

import type { IndexEntry } from './records.js';

export interface KnownProgress {
  modRevision: number;
  uid: string;
  rev: number;
  /** Where the due or staged index files the job, or undefined when it is in neither. */
  index: IndexEntry | undefined;
  /** Seqs of the job's history entries, oldest first. */
  history: number[];
}

export class KnownProgressCache {
  private readonly entries = new Map<string, KnownProgress>();
  /** Jobs this replica deleted, with the revision of the delete (bounded like entries). */
  private readonly deleted = new Map<string, number>();
  private readonly seen = new Map<string, number>();
  /** Seen revisions are kept only while a job watch prunes them (cluster mode). */
  trackSeen = false;

  constructor(private readonly capacity: number) {}

  get(jobId: string): KnownProgress | undefined {
    return this.entries.get(jobId);
  }

  /** Remembers a progress key's state; `ownWrite` when this replica wrote it (the watch may skip it). */
  set(jobId: string, known: KnownProgress, ownWrite = false): void {
    // A read that raced with a later write of ours must not set the view back.
    const current = this.entries.get(jobId);
    if (current && current.modRevision > known.modRevision) return;
    // Re-inserting moves the entry to the end: the map's order is least recently written first.
    this.entries.delete(jobId);
    this.entries.set(jobId, known);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    if (ownWrite) this.noteSeen(jobId, known.modRevision);
  }

  /** The job's progress key is gone as of revision; `ownWrite` when this replica deleted it. */
  forget(jobId: string, revision: number, ownWrite = false): void {
    this.entries.delete(jobId);
    if (!ownWrite) return;
    this.noteSeen(jobId, revision);
    this.noteDeleted(jobId, revision);
  }

  /** The job's progress key was deleted at revision (by anyone). */
  noteDeleted(jobId: string, revision: number): void {
    this.entries.delete(jobId);
    if ((this.deleted.get(jobId) ?? 0) >= revision) return;
    this.deleted.delete(jobId);
    this.deleted.set(jobId, revision);
    if (this.deleted.size > this.capacity) {
      const oldest = this.deleted.keys().next().value;
      if (oldest !== undefined) this.deleted.delete(oldest);
    }
  }

  /**
   * The newest revision at which this replica knows the job's progress key changed (a write or a
   * read of it, or its own delete); a snapshot older than that is stale for this replica.
   */
  newestRevision(jobId: string): number {
    return Math.max(this.entries.get(jobId)?.modRevision ?? 0, this.deleted.get(jobId) ?? 0);
  }

  noteSeen(jobId: string, revision: number): void {
    if (!this.trackSeen) return;
    if ((this.seen.get(jobId) ?? 0) < revision) this.seen.set(jobId, revision);
  }

  /** The highest revision of this replica's own writes to the job not yet passed by the watch (0: none). */
  seenRevision(jobId: string): number {
    return this.seen.get(jobId) ?? 0;
  }

  /** The newest change the engine here is sure to know of: its own writes, and deletes. */
  engineKnownRevision(jobId: string): number {
    return Math.max(this.seen.get(jobId) ?? 0, this.deleted.get(jobId) ?? 0);
  }

  /** The watch has passed `revision`: entries at or below it can no longer filter anything. */
  pruneSeen(revision: number): void {
    for (const [jobId, seen] of this.seen) if (seen <= revision) this.seen.delete(jobId);
  }

  get seenSize(): number {
    return this.seen.size;
  }
}
