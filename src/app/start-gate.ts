// Ports before work: the servers bind their ports first (so a port that is taken fails the
// start before anything is delivered), but the engine starts only after that. A request that
// arrives in between waits here until the engine runs, because the engine must not be told of
// a job or a consumer before start() (it would hold the job without a timer, or drop the
// release of a consumer's staged triggers). If the start fails, waiting requests fail with it.
//
// States: waiting --open()--> open;  waiting --fail(error)--> failed. Both are final.

export class StartGate {
  private state: 'waiting' | 'open' | 'failed' = 'waiting';
  private readonly settled: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: unknown) => void;

  constructor() {
    this.settled = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.settled.catch(() => undefined); // nobody need be waiting when it fails
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Resolves once open; rejects with the start's error if it failed. */
  whenOpen(): Promise<void> {
    return this.settled;
  }

  open(): void {
    if (this.state !== 'waiting') return;
    this.state = 'open';
    this.resolve();
  }

  fail(error: unknown): void {
    if (this.state !== 'waiting') return;
    this.state = 'failed';
    this.reject(error);
  }
}
