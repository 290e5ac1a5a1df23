// Where a refill may start reading the store's due index. The engine holds every job an earlier
// refill read (or lets it go for a reason that takes it out of the due window: finished, staged,
// paused, next tick beyond the look-ahead), so a refill need read only the jobs that entered the
// window since: at a steady 5,000 triggers/s, reading the 50,000 held keys again every 5 s cost
// the event loop about 200 ms per refill and was the lateness tail of issue 12.
//
// Coverage is lost whenever a job may have left memory while still due within what was read (its
// ownership moved, a commit was refused and the job reloaded, the engine stopped): the next
// refill then reads the whole range again. And every wholeEvery-th refill reads whole all the
// same, so a job that reached the store by a path the engine was not told of (a write whose
// answer was lost, so the API never passed it on) is still loaded within a few minutes.

export interface CoverageTicket {
  /** Read from this due instant on; undefined: read the whole range. */
  from: number | undefined;
  epoch: number;
}

export class RefillCoverage {
  /** Every job due before this was read by a refill that ended; undefined: nothing is known. */
  private readBefore: number | undefined;
  private epoch = 0;
  private sinceWhole = 0;

  constructor(private readonly wholeEvery: number) {}

  /** A refill starts: where it may start reading. */
  begin(): CoverageTicket {
    const whole = this.readBefore === undefined || ++this.sinceWhole >= this.wholeEvery;
    if (whole) this.sinceWhole = 0;
    return { from: whole ? undefined : this.readBefore, epoch: this.epoch };
  }

  /** The refill read every job due before `next` (and adopted what it had to). */
  end(ticket: CoverageTicket, next: number): void {
    // Lost while it read: what it read may be missing a job let go meanwhile.
    if (ticket.epoch === this.epoch) this.readBefore = next;
  }

  /**
   * A job left memory because it is due after the look-ahead window, at `due`. Every refill's
   * window ended before that so far, unless the clock stepped back: then a refill has read past
   * it, and only a whole read would find it again.
   */
  leftUntil(due: number): void {
    if (this.readBefore !== undefined && due < this.readBefore) this.lost();
  }

  /** A job may be in the due index, due within what was read, without being held. */
  lost(): void {
    this.readBefore = undefined;
    this.epoch++;
  }
}
