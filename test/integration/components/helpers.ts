import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { createComponents, loadComponents, type ComponentRegistry } from '../../../src/adapters/components/index.js';

/** Writes the YAML into a fresh components folder, loads and creates it: the path main.ts takes. */
export async function registryFromYaml(yaml: string, env: NodeJS.ProcessEnv = process.env): Promise<ComponentRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'duetime-components-'));
  try {
    writeFileSync(join(dir, 'components.yaml'), yaml);
    return createComponents(await loadComponents(dir, { env }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Polls a condition that has no event to wait on (a component's health, a row in a foreign
 * store), bounded by `timeoutMs`.
 */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Runs fn and reports how long it took to settle, and how. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value?: T; error?: Error }> {
  const t0 = Date.now();
  try {
    const value = await fn();
    return { ms: Date.now() - t0, value };
  } catch (err) {
    return { ms: Date.now() - t0, error: err instanceof Error ? err : new Error(String(err)) };
  }
}

/**
 * Checks that `body` is exactly the CloudEvent Dapr would publish for this message: every field
 * equal, no field more or less, and `time` a fresh RFC3339 instant.
 */
export function expectCloudEvent(
  body: string | Buffer,
  fields: { id: string; source: string; topic: string; pubsubname: string; data: unknown },
): void {
  const { time, ...rest } = JSON.parse(body.toString()) as Record<string, unknown>;
  expect(rest).toEqual({
    specversion: '1.0',
    id: fields.id,
    source: fields.source,
    type: 'com.dapr.event.sent',
    datacontenttype: 'application/json',
    topic: fields.topic,
    pubsubname: fields.pubsubname,
    data: fields.data,
  });
  expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  expect(Math.abs(Date.parse(time as string) - Date.now())).toBeLessThan(60_000);
}
