// A parsed schedule: the engine asks it, again and again, when a job fires next.

export interface Schedule {
  /**
   * The first fire instant (ms since the epoch) strictly after `after`, or undefined when the
   * schedule has no more instants. Results are whole milliseconds.
   */
  next(after: number): number | undefined;
}
