// What a refill must not adopt. A refill reads the due index in slices and adopts what it read in
// slices too, yielding the event loop between them (a read of 50,000 rows in one turn held every
// timer for hundreds of ms: issue 12's periodic stall). Meanwhile the engine goes on: it may adopt
// a job the refill also read (an API write, a manual operation, a release), fire it, commit its
// last outcome and let it go, or drop a deleted one. The refill's copy of such a job is older
// than what the engine did with it, so adopting it could fire a tick twice or fire a deleted job.
// Every key the engine takes in, lets go or is told to remove while a refill is open is noted
// here, and that refill skips it: the engine already knows better, and a later refill reads the
// key afresh.

import { keyString } from '../model/job-key.js';
import type { JobKey } from '../model/job.js';

interface Watch {
  keys: Set<string>;
  prefixes: Array<{ namespace: string; appId: string; prefix: string }>;
}

export class RefillGuard {
  private readonly open = new Set<Watch>();

  /** A refill starts reading; pass the answer to skips() and end(). */
  begin(): Watch {
    const watch: Watch = { keys: new Set(), prefixes: [] };
    this.open.add(watch);
    return watch;
  }

  end(watch: Watch): void {
    this.open.delete(watch);
  }

  /** The engine adopted, let go of or was told to remove this job. */
  touch(keyStr: string): void {
    if (this.open.size === 0) return; // the usual case, once per outcome: no iterator
    for (const watch of this.open) watch.keys.add(keyStr);
  }

  /** Every job of an app whose name starts with prefix was removed. */
  touchPrefix(namespace: string, appId: string, prefix: string): void {
    for (const watch of this.open) watch.prefixes.push({ namespace, appId, prefix });
  }

  /** The refill must leave this job alone (see the top of this file). */
  skips(watch: Watch, key: JobKey): boolean {
    if (watch.keys.has(keyString(key))) return true;
    return watch.prefixes.some((p) => p.namespace === key.namespace && p.appId === key.appId && key.name.startsWith(p.prefix));
  }
}

export type RefillWatch = ReturnType<RefillGuard['begin']>;
