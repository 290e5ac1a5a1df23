// bindings.cron input bindings: at start each becomes a job of the default app that calls
// POST {appUrl}/{bindingName} (or the binding's route) on its schedule. A restart without the
// component file removes the job. A schedule the engine cannot run stops the start, naming the file.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDuetime, type RunningDuetime } from '../../../src/main.js';
import { RecordingReceiver } from '../../../src/testing/recording-receiver.js';

const cron = (name: string, schedule: string, route?: string): string => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: bindings.cron
  version: v1
  metadata:
    - name: schedule
      value: "${schedule}"
${route ? `    - name: route\n      value: ${route}\n` : ''}`;

let app: RecordingReceiver;
let dataDir: string;
let componentsPath: string;
let running: RunningDuetime | undefined;

async function start(): Promise<RunningDuetime> {
  running = await startDuetime(
    { port: 0, grpcPort: 0, schedulerPort: 0, dataDir, appId: 'reports', appUrl: app.url, componentsPath },
    { logger: pino({ level: process.env.DUETIME_TEST_LOG ?? 'silent' }) },
  );
  return running;
}

async function get(path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${running!.httpUrl}${path}`);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  app = await new RecordingReceiver().start();
  dataDir = mkdtempSync(join(tmpdir(), 'duetime-cron-'));
  componentsPath = mkdtempSync(join(tmpdir(), 'duetime-cron-components-'));
});

afterAll(async () => {
  await running?.stop();
  await app?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(componentsPath, { recursive: true, force: true });
});

describe('bindings.cron', () => {
  it('calls POST /{bindingName} (or the route) on the app on the schedule, on whole seconds, never early', async () => {
    writeFileSync(join(componentsPath, 'tick.yaml'), cron('tick', '@every 1s'));
    writeFileSync(join(componentsPath, 'report.yaml'), cron('nightly-report', '* * * * * *', '/cron/report'));
    await start();
    await app.waitFor(() => app.received.filter((r) => r.path === '/tick').length >= 2 && app.received.some((r) => r.path === '/cron/report'), 15_000);
    const tick = app.received.find((r) => r.path === '/tick')!;
    expect(tick.method).toBe('POST');
    expect(tick.body).toBe('');
    expect(tick.headers['content-type']).toBe('application/json');
    expect(tick.headers['duetime-trigger-id']).toMatch(/\S/);
    for (const r of app.received) expect(r.receivedAt).toBeGreaterThanOrEqual(r.scheduledAt!);
    for (const r of app.received.filter((x) => x.path === '/cron/report')) expect(r.scheduledAt! % 1000).toBe(0);
    expect(app.received.some((r) => r.path.startsWith('/job/'))).toBe(false);

    const job = await get('/v1.0/jobs/bindings.cron.tick');
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({ schedule: '@every 1s', catchUp: 'none', failurePolicy: { drop: {} }, target: { inputBinding: { name: 'tick', route: '/tick' } } });
  });

  it('removes the job of a binding whose component file is gone, at the next start', async () => {
    await running!.stop();
    running = undefined;
    rmSync(join(componentsPath, 'tick.yaml'));
    await start();
    expect((await get('/v1.0/jobs/bindings.cron.tick')).status).toBe(404);
    expect((await get('/v1.0/jobs/bindings.cron.nightly-report')).status).toBe(200);
    const ticks = app.received.filter((r) => r.path === '/tick').length;
    const reports = app.received.filter((r) => r.path === '/cron/report').length;
    await app.waitFor(() => app.received.filter((r) => r.path === '/cron/report').length >= reports + 2, 15_000);
    expect(app.received.filter((r) => r.path === '/tick').length).toBe(ticks);
  });

  it('stops the start with the file named when a schedule cannot be run', async () => {
    await running!.stop();
    running = undefined;
    writeFileSync(join(componentsPath, 'bad.yaml'), cron('broken', 'every tuesday'));
    const error = await start().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/^cannot start: a cron binding in .* cannot be scheduled:\n.*bad\.yaml: spec\.metadata "schedule" of bindings\.cron "broken" cannot be used: /);
    rmSync(join(componentsPath, 'bad.yaml'));
  });

  it('stops the start with the file named when a component file is bad', async () => {
    writeFileSync(join(componentsPath, 'broken.yaml'), 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\nspec:\n  type: pubsub.kafka\n  version: v1\n');
    const error = await start().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/^cannot start: the components in .* are not usable:\n.*broken\.yaml: spec\.type "pubsub\.kafka" is not supported/);
    rmSync(join(componentsPath, 'broken.yaml'));
  });
});
