/*
 * The bulkhead in front of delivery: one FIFO lane per app, each with its own in-flight count
 * and cap, served in turn. An app that is slow, failing or trickling fills only its own lane and
 * its own share of slots; while slots are scarce every app with work waiting gets one in turn.
 *
 * A lane is in the rotation exactly when it has items and is below its cap:
 *
 *   idle --push--> rotating --take (items left, below cap)--> rotating (at the tail)
 *   rotating --take (empty or at cap)--> resting --done (below cap, items left)--> rotating
 */

import { Fifo } from './fifo.js';

export interface Lane<T> {
  readonly key: string;
  readonly items: Fifo<T>;
  inFlight: number;
  rotating: boolean;
}

export class FairQueue<T> {
  private readonly lanes = new Map<string, Lane<T>>();
  private readonly rotation = new Fifo<Lane<T>>();
  private waiting = 0;

  constructor(private readonly perLaneCap: number) {
    if (!Number.isInteger(perLaneCap) || perLaneCap < 1) throw new RangeError(`the per-app in-flight cap must be a positive integer, got ${perLaneCap}`);
  }

  /** Items queued in every lane. */
  get length(): number {
    return this.waiting;
  }

  push(laneKey: string, item: T): void {
    let lane = this.lanes.get(laneKey);
    if (!lane) this.lanes.set(laneKey, (lane = { key: laneKey, items: new Fifo<T>(), inFlight: 0, rotating: false }));
    lane.items.push(item);
    this.waiting++;
    this.rotate(lane);
  }

  /**
   * The next item in turn, with its lane; undefined when every lane with items is at its cap.
   * The caller reports started(lane) if it dispatched the item, and done(lane) when that ends.
   */
  take(): { lane: Lane<T>; item: T } | undefined {
    for (let lane = this.rotation.shift(); lane; lane = this.rotation.shift()) {
      lane.rotating = false;
      const item = lane.items.shift();
      if (item === undefined) {
        this.forgetIfIdle(lane);
        continue;
      }
      this.waiting--;
      return { lane, item };
    }
    return undefined;
  }

  /** The item taken from this lane was dispatched: it holds one of the lane's slots. */
  started(lane: Lane<T>): void {
    lane.inFlight++;
    this.rotate(lane);
  }

  /** The item taken from this lane was not dispatched (stale): the lane goes on in turn. */
  skipped(lane: Lane<T>): void {
    this.rotate(lane);
  }

  /** A dispatched item of this lane finished: its slot is free. */
  done(lane: Lane<T>): void {
    lane.inFlight--;
    this.rotate(lane);
  }

  /** In flight per lane key, for stats. */
  inFlightOf(laneKey: string): number {
    return this.lanes.get(laneKey)?.inFlight ?? 0;
  }

  private rotate(lane: Lane<T>): void {
    if (lane.rotating) return;
    if (lane.items.length > 0 && lane.inFlight < this.perLaneCap) {
      lane.rotating = true;
      this.rotation.push(lane);
      return;
    }
    this.forgetIfIdle(lane);
  }

  /** A lane with nothing queued and nothing in flight is dropped, so memory follows live apps. */
  private forgetIfIdle(lane: Lane<T>): void {
    if (lane.items.length === 0 && lane.inFlight === 0 && !lane.rotating && this.lanes.get(lane.key) === lane) this.lanes.delete(lane.key);
  }
}
