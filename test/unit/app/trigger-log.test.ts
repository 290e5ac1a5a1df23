// The log lines about triggers, read back from a real pino logger writing to a stream: a failed
// attempt at warn (with its retry time), a given-up tick at error, a delivery at debug, and for
// staging one warn when an app's first trigger is staged and one line when its triggers go out
// again: never a line per staged trigger.

import pino from 'pino';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { logTriggers } from '../../../src/app/trigger-log.js';
import { makeHarness, T0 } from '../engine/harness.js';

type Harness = Awaited<ReturnType<typeof makeHarness>>;
let h: Harness | undefined;
afterEach(async () => {
  await h?.engine.stop();
  h = undefined;
});

interface Line {
  level: number;
  msg: string;
  [field: string]: unknown;
}

const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** A real pino logger whose lines land in `lines`, parsed. */
function capture(level = 'debug'): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

/** pino writes to the stream synchronously per line; the Writable's callback may run a tick later. */
const flushed = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('trigger log', () => {
  it('a failed attempt at warn with the next retry time, a given-up tick at error, a delivery at debug', async () => {
    h = await makeHarness();
    const { logger, lines } = capture();
    logTriggers(h.engine.events, logger);
    h.target.respond = (t) => (t.key.name === 'ok' ? { kind: 'done' } : { kind: 'failed', detail: 'HTTP 503' });
    await h.schedule('ok', { dueTime: '1s' });
    await h.schedule('flaky', { dueTime: '1s', failurePolicy: { constant: { interval: '2s', maxRetries: 1 } } });
    await h.clock.advance(10_000);
    await flushed();
    const delivered = lines.filter((l) => l.level === LEVEL.debug);
    expect(delivered).toEqual([expect.objectContaining({ job: 'ok', appId: 'app', namespace: 'default', attempt: 1 })]);
    expect(delivered[0]!.msg).toMatch(/delivered/);
    const warns = lines.filter((l) => l.level === LEVEL.warn);
    expect(warns).toEqual([expect.objectContaining({ job: 'flaky', appId: 'app', attempt: 1, reason: 'HTTP 503', retryAt: new Date(T0 + 3_000).toISOString() })]);
    expect(warns[0]!.msg).toBe(`trigger of job "flaky" failed (attempt 1): HTTP 503; next attempt at ${new Date(T0 + 3_000).toISOString()}`);
    const errors = lines.filter((l) => l.level === LEVEL.error);
    expect(errors).toEqual([expect.objectContaining({ job: 'flaky', attempt: 2, reason: 'HTTP 503', scheduledAt: new Date(T0 + 1_000).toISOString() })]);
    expect(errors[0]!.msg).toBe('trigger of job "flaky" given up after attempt 2: HTTP 503');
  });

  it('1,000 staged triggers of an app make one warn; their release one line with the count', async () => {
    h = await makeHarness();
    const { logger, lines } = capture('info');
    logTriggers(h.engine.events, logger);
    h.target.respond = () => ({ kind: 'staged' as const, detail: 'no endpoint' });
    for (let i = 0; i < 1_000; i++) await h.schedule(`s-${i}`, { dueTime: '1s' });
    await h.clock.advance(2_000);
    // Another app with no endpoint has its own episode.
    await h.jobs.schedule({ namespace: 'default', appId: 'other', name: 'x' }, { dueTime: '1s' });
    await h.clock.advance(2_000);
    await flushed();
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [LEVEL.warn, 'no endpoint for app app in namespace default: 1 trigger waiting (staged until the app registers or a consumer connects)'],
      [LEVEL.warn, 'no endpoint for app other in namespace default: 1 trigger waiting (staged until the app registers or a consumer connects)'],
    ]);
    h.target.respond = () => ({ kind: 'done' as const });
    h.engine.releaseStaged('default', 'app');
    for (let i = 0; i < 100 && h.target.deliveries.filter((d) => d.trigger.key.appId === 'app').length < 2_000; i++) await h.clock.advance(100);
    await flushed();
    expect(lines.slice(2).map((l) => [l.level, l.msg, l.waiting])).toEqual([[LEVEL.info, 'app app in namespace default has a consumer again: 1000 staged triggers are being released', 1_000]]);
    // A new episode after the release warns again.
    h.target.respond = () => ({ kind: 'staged' as const, detail: 'no endpoint' });
    await h.schedule('late', { dueTime: '1s' });
    await h.clock.advance(2_000);
    await flushed();
    expect(lines.slice(3).map((l) => l.msg)).toEqual(['no endpoint for app app in namespace default: 1 trigger waiting (staged until the app registers or a consumer connects)']);
  });

  it('at info a delivery costs no line: debug is not called, and a later switch to debug logs again', async () => {
    h = await makeHarness();
    const { logger, lines } = capture('info');
    let debugCalls = 0;
    logTriggers(h.engine.events, {
      debug: (fields, message) => {
        debugCalls++;
        logger.debug(fields, message);
      },
      info: (fields, message) => logger.info(fields, message),
      warn: (fields, message) => logger.warn(fields, message),
      error: (fields, message) => logger.error(fields, message),
      isLevelEnabled: (level) => logger.isLevelEnabled(level),
    });
    await h.schedule('quiet', { dueTime: '1s' });
    await h.clock.advance(2_000);
    expect(debugCalls).toBe(0);
    logger.level = 'debug';
    await h.schedule('loud', { dueTime: '1s' });
    await h.clock.advance(2_000);
    await flushed();
    expect(debugCalls).toBe(1);
    expect(lines).toEqual([expect.objectContaining({ level: LEVEL.debug, job: 'loud', namespace: 'default', appId: 'app', attempt: 1, manual: false })]);
  });

  it('returns a function that stops the logging', async () => {
    h = await makeHarness();
    const { logger, lines } = capture();
    const off = logTriggers(h.engine.events, logger);
    off();
    await h.schedule('quiet', { dueTime: '1s' });
    await h.clock.advance(2_000);
    await flushed();
    expect(lines).toEqual([]);
  });
});
