// Delivery attempts counted per (namespace, app, target kind, outcome) as plain numbers, for the
// attempt counters in metrics.ts to take at scrape time. prom-client's Counter.inc with labels
// validates and hashes the labels object on every call (its labelled children do the same), and
// two such calls per delivery were ~2% of a 20,000-trigger burst's CPU. Here a delivery whose
// labels match the previous one's (a burst is one app, one kind, one outcome) is one compare and
// an increment; any other looks its entry up by a joined key.

export interface AttemptCount {
  readonly namespace: string;
  readonly appId: string;
  readonly targetKind: string;
  readonly outcome: string;
  /** Attempts since the last take(). */
  count: number;
}

export class AttemptTally {
  private readonly entries = new Map<string, AttemptCount>();
  private last: AttemptCount | undefined;

  add(namespace: string, appId: string, targetKind: string, outcome: string): void {
    const last = this.last;
    if (last !== undefined && last.outcome === outcome && last.appId === appId && last.namespace === namespace && last.targetKind === targetKind) {
      last.count++;
      return;
    }
    // Names hold no NUL (validated, as appKeyString relies on too): the joined key is unambiguous.
    const key = `${namespace}\u0000${appId}\u0000${targetKind}\u0000${outcome}`;
    let entry = this.entries.get(key);
    if (entry === undefined) this.entries.set(key, (entry = { namespace, appId, targetKind, outcome, count: 0 }));
    entry.count++;
    this.last = entry;
  }

  /** Hands every label set counted since the last take to fn, with its count, and starts again from 0. */
  take(fn: (entry: AttemptCount) => void): void {
    for (const entry of this.entries.values()) {
      if (entry.count === 0) continue;
      fn(entry);
      entry.count = 0;
    }
  }
}
