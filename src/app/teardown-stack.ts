// One way to shut down: each resource is pushed when it is made, and the stack closes them in
// reverse order, the same on a failed start and on stop, so no path can forget one. A step that
// fails is reported and the rest still run: a broker that will not close must not keep the store
// open or the data directory locked.

export interface TeardownLog {
  error(data: object, message: string): void;
}

export class TeardownStack {
  private readonly steps: Array<{ name: string; run: () => unknown }> = [];
  private running: Promise<void> | undefined;

  constructor(private readonly log?: TeardownLog) {}

  /** Registers a step; steps run last-registered first. */
  push(name: string, run: () => unknown): void {
    this.steps.push({ name, run });
  }

  /** Runs every step once, in reverse order; later calls wait for the same run. */
  run(): Promise<void> {
    this.running ??= (async () => {
      for (let step = this.steps.pop(); step; step = this.steps.pop()) {
        try {
          await step.run();
        } catch (error) {
          this.log?.error({ err: error, step: step.name }, 'a shutdown step failed; the others still run');
        }
      }
    })();
    return this.running;
  }
}
