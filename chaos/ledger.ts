// What the chaos load asked for and what the app received, and the verdict: every acknowledged
// tick delivered (lost), none before its time (early), none of a job whose delete was
// acknowledged (after delete), and how many extra copies at-least-once produced (duplicates).

/** A job as the load generator sent it. Ticks are absolute instants in ms. */
export interface SentJob {
  name: string;
  ticks: number[];
  /** Date.now() when the 204 arrived; undefined when the request failed or got no answer. */
  ackedAt?: number;
  /** A DELETE was sent (answered or not): its ticks may or may not fire, so none counts as lost. */
  deleteSent?: boolean;
  /** Date.now() when a DELETE of it was answered 204. */
  deleteAckedAt?: number;
}

export interface Delivery {
  job: string;
  scheduledAt: number;
  receivedAt: number;
}

export interface Verdict {
  schedulesSent: number;
  acknowledged: number;
  acknowledgedTicks: number;
  deletesAcknowledged: number;
  deliveries: number;
  /** Acknowledged (and not deleted) ticks with no delivery at all: must be 0. */
  lost: number;
  /** Deliveries received before their scheduled time: must be 0. */
  early: number;
  /** Deliveries of a tick the job never had (a wrong schedule or a replayed old tick of another name): must be 0. */
  unknownTicks: number;
  /** Deliveries received more than the grace after a delete was acknowledged: must be 0. */
  afterDelete: number;
  /** Extra copies of a tick (at least once allows them around a crash): reported, not a violation. */
  duplicates: number;
  /** Ticks delivered of requests that never got a 204 (stored before the crash cut the answer): allowed. */
  unacknowledgedDelivered: number;
  examples: { lost: string[]; early: string[]; unknownTicks: string[]; afterDelete: string[] };
}

/** A delivery already in flight when the delete committed may still land just after its 204. */
const DELETE_GRACE_MS = 1_000;
const EXAMPLES = 5;

export class Ledger {
  readonly jobs = new Map<string, SentJob>();

  sent(job: SentJob): void {
    this.jobs.set(job.name, job);
  }

  verdict(deliveries: Delivery[]): Verdict {
    const byTick = new Map<string, number>();
    const v: Verdict = {
      schedulesSent: this.jobs.size,
      acknowledged: 0,
      acknowledgedTicks: 0,
      deletesAcknowledged: 0,
      deliveries: deliveries.length,
      lost: 0,
      early: 0,
      unknownTicks: 0,
      afterDelete: 0,
      duplicates: 0,
      unacknowledgedDelivered: 0,
      examples: { lost: [], early: [], unknownTicks: [], afterDelete: [] },
    };
    const note = (kind: keyof Verdict['examples'], text: string): void => {
      if (v.examples[kind].length < EXAMPLES) v.examples[kind].push(text);
    };
    for (const d of deliveries) {
      const key = `${d.job}@${d.scheduledAt}`;
      const seen = byTick.get(key) ?? 0;
      byTick.set(key, seen + 1);
      if (seen > 0) v.duplicates++;
      if (d.receivedAt < d.scheduledAt) {
        v.early++;
        note('early', `${key} received ${d.scheduledAt - d.receivedAt} ms early`);
      }
      const job = this.jobs.get(d.job);
      if (!job || !job.ticks.includes(d.scheduledAt)) {
        v.unknownTicks++;
        note('unknownTicks', key);
        continue;
      }
      if (job.deleteAckedAt !== undefined && d.receivedAt > job.deleteAckedAt + DELETE_GRACE_MS) {
        v.afterDelete++;
        note('afterDelete', `${key} received ${d.receivedAt - job.deleteAckedAt} ms after the delete's 204`);
      }
      if (job.ackedAt === undefined && seen === 0) v.unacknowledgedDelivered++;
    }
    for (const job of this.jobs.values()) {
      if (job.deleteAckedAt !== undefined) v.deletesAcknowledged++;
      if (job.ackedAt === undefined) continue;
      v.acknowledged++;
      if (job.deleteSent) continue; // its ticks may or may not have fired before the delete
      for (const tick of job.ticks) {
        v.acknowledgedTicks++;
        if (!byTick.has(`${job.name}@${tick}`)) {
          v.lost++;
          note('lost', `${job.name}@${new Date(tick).toISOString()}`);
        }
      }
    }
    return v;
  }

  /** Acknowledged, not deleted ticks still without a delivery: the drain waits for this to reach 0. */
  missing(deliveries: Delivery[]): number {
    const delivered = new Set(deliveries.map((d) => `${d.job}@${d.scheduledAt}`));
    let missing = 0;
    for (const job of this.jobs.values()) {
      if (job.ackedAt === undefined || job.deleteSent) continue;
      for (const tick of job.ticks) if (!delivered.has(`${job.name}@${tick}`)) missing++;
    }
    return missing;
  }
}
