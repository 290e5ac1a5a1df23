// App registrations in memory, for unit tests. Handles made on one MemoryRegistrationSpace share
// it the way replicas share etcd: each sees the others' writes through follow().

import type { AppRegistration, AppRegistrationChange, AppRegistrations, StoredRegistration } from '../../core/ports/app-registrations.js';
import { appKeyString } from '../../core/model/job-key.js';

/** The storage several handles share (one per simulated replica). */
export class MemoryRegistrationSpace {
  readonly entries = new Map<string, StoredRegistration>();
  readonly followers = new Set<(change: AppRegistrationChange) => void>();
  revision = 0;

  publish(change: AppRegistrationChange): void {
    for (const follower of this.followers) {
      try {
        follower(change);
      } catch {
        // a follower's own problem (see the port)
      }
    }
  }
}

export class MemoryAppRegistrations implements AppRegistrations {
  private follower: ((change: AppRegistrationChange) => void) | undefined;
  private closed = false;

  constructor(private readonly space = new MemoryRegistrationSpace()) {}

  async list(): Promise<StoredRegistration[]> {
    this.open();
    return [...this.space.entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => copy(entry));
  }

  async put(registration: AppRegistration): Promise<number> {
    this.open();
    const { namespace, appId, endpoint, origin } = copy(registration);
    const revision = ++this.space.revision;
    this.space.entries.set(id(namespace, appId), { namespace, appId, endpoint, origin, revision });
    this.space.publish({ kind: 'put', registration: copy({ namespace, appId, endpoint, origin }), revision });
    return revision;
  }

  async delete(namespace: string, appId: string): Promise<number> {
    this.open();
    if (!this.space.entries.delete(id(namespace, appId))) return this.space.revision;
    const revision = ++this.space.revision;
    this.space.publish({ kind: 'delete', namespace, appId, revision });
    return revision;
  }

  async follow(onChange: (change: AppRegistrationChange) => void): Promise<StoredRegistration[]> {
    this.open();
    if (this.follower) throw new Error('follow() was already called on this handle');
    this.follower = onChange;
    this.space.followers.add(onChange);
    return this.list();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.follower) this.space.followers.delete(this.follower);
  }

  private open(): void {
    if (this.closed) throw new Error('the app registrations store is closed');
  }
}

const id = appKeyString;

/** A copy a caller may change without touching what is stored (JSON, as the real stores keep it). */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
