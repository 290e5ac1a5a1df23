import { MemoryJobStore } from '../../../src/adapters/store-memory/index.js';
import { JobsService } from '../../../src/app/jobs-service.js';
import { Engine } from '../../../src/core/engine/engine.js';
import { defaultEngineOptions, type EngineOptions } from '../../../src/core/engine/options.js';
import type { JobKey } from '../../../src/core/model/job.js';
import { FakeClock } from '../../../src/testing/fake-clock.js';
import { ScriptedDeliverer } from '../../../src/testing/scripted-deliverer.js';

export const T0 = Date.parse('2026-03-01T00:00:00.000Z');

/**
 * An engine on the memory store, a scripted target and a fake clock. A test that must watch or
 * hold the store's reads passes its own subclass of the memory store.
 */
export async function makeHarness<S extends MemoryJobStore = MemoryJobStore>(options: Partial<EngineOptions> = {}, ownStore?: S) {
  const clock = new FakeClock(T0);
  const store = ownStore ?? (new MemoryJobStore() as S);
  const target = new ScriptedDeliverer(clock);
  const engine = new Engine(store, target, clock, { random: () => 0, ...options });
  const jobs = new JobsService(store, engine, clock);
  await engine.start();
  const key = (name: string): JobKey => ({ namespace: 'default', appId: 'app', name });
  const schedule = (name: string, body: Record<string, unknown>) => jobs.schedule(key(name), body);
  /** Asserts no delivery happened before its attempt was due: scheduled time, or a later retry. */
  const assertNeverEarly = () => {
    for (const d of target.deliveries) {
      if (d.at < d.trigger.scheduledAt) throw new Error(`${d.trigger.key.name} delivered at ${d.at} before ${d.trigger.scheduledAt}`);
    }
  };
  /** Stops the engine; the fake clock runs through the stop timeout, for deliveries that never settle. */
  const stop = async (): Promise<void> => {
    const stopping = engine.stop();
    await clock.advance(options.stopTimeoutMs ?? defaultEngineOptions.stopTimeoutMs);
    await stopping;
  };
  return { clock, store, target, engine, jobs, key, schedule, assertNeverEarly, stop };
}

export const iso = (ms: number): string => new Date(ms).toISOString();
