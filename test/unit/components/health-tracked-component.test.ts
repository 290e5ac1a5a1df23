import { describe, expect, it } from 'vitest';
import { HealthTrackedComponent } from '../../../src/adapters/components/shared/health-tracked-component.js';

// The health base every component adapter extends; the adapters' behaviour on real servers is
// in the conformance suites (test/conformance/{publisher,state-store,output-binding}.suite.ts).

class Probe extends HealthTrackedComponent {
  releases = 0;
  up(): void {
    this.health.up();
  }
  async use(fail?: { err: unknown; mark?: 'note' | 'down' }): Promise<string> {
    this.assertOpen();
    await this.health.waitUp(1_000);
    if (fail) throw this.failed('use "k"', fail.err, fail.mark);
    return 'ok';
  }
  protected async release(): Promise<void> {
    this.releases += 1;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('HealthTrackedComponent', () => {
  it('starts unhealthy with no error, and is healthy once its connection is up', () => {
    const c = new Probe('pubsub "p" (test)');
    expect(c.healthy()).toBe(false);
    expect(c.lastError()).toBeUndefined();
    c.up();
    expect(c.healthy()).toBe(true);
  });

  it('failed() names the component and the operation, keeps the cause, and notes or marks down', async () => {
    const c = new Probe('pubsub "p" (test)');
    c.up();
    const cause = new Error('ECONNRESET');
    const noted = await c.use({ err: cause }).then(() => undefined, (e: unknown) => e as Error);
    expect(noted?.message).toBe('pubsub "p" (test): use "k" failed: ECONNRESET');
    expect(noted?.cause).toBe(cause);
    expect(c.healthy()).toBe(true);
    expect(c.lastError()).toBe('ECONNRESET');
    await c.use({ err: new Error('gone'), mark: 'down' }).catch(() => undefined);
    expect(c.healthy()).toBe(false);
    expect(c.lastError()).toBe('gone');
  });

  it('close() marks it closed at once, wakes waiters, releases once, and a second close shares the first', async () => {
    const c = new Probe('pubsub "p" (test)');
    const waiting = c.use().catch((e: Error) => e.message);
    const first = c.close();
    const second = c.close();
    expect(second).toBe(first);
    expect(await waiting).toBe('pubsub "p" (test): closed');
    await first;
    expect(c.releases).toBe(1);
    expect(c.healthy()).toBe(false);
    await expect(c.use()).rejects.toThrow('pubsub "p" (test): closed');
  });
});
