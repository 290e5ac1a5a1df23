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
    return await createComponents(await loadComponents(dir, { env }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The components.yaml of one bindings.http output binding named "webhook" that sends to url, with
 * `metadata` (name -> value, written as given) after its url. Every bindings.http test declares
 * this same component and differs only in the url and the metadata it adds.
 */
export function webhookBindingYaml(url: string, metadata: Record<string, string> = {}): string {
  const entries = Object.entries({ url, ...metadata })
    .map(([name, value]) => `    - name: ${name}\n      value: ${value}\n`)
    .join('');
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: webhook
spec:
  type: bindings.http
  version: v1
  metadata:
${entries}`;
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
