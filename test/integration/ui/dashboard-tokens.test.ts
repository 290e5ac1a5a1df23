// The dashboard under the API's token rules: with tokens configured it asks for one (a login
// form keeping it in an HttpOnly cookie, or the API's token header), a token bound to an app
// sees only that app; and --ui false serves no dashboard at all.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from '../support.js';
import { launchBrowser, openPage } from './browser.js';

let node: Node;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duetime-ui-tokens-'));
  const configFile = join(dir, 'duetime.yaml');
  writeFileSync(configFile, 'tokens:\n  - token: admin-token\n  - token: orders-token\n    appId: orders\n');
  node = await startNode({ configFile });
  for (const [app, token] of [['app', 'admin-token'], ['orders', 'orders-token']] as const) {
    const res = await node.call('POST', `/v1.0-alpha1/jobs/${app}-job`, { schedule: '@every 1h' }, { 'dapr-api-token': token, 'dapr-app-id': app });
    expect(res.status).toBe(204);
  }
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await node?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard with API tokens', () => {
  it('asks for a token, refuses a wrong one, and shows every app to an unbound token', async () => {
    const { page, context, problems } = await openPage(browser);
    try {
      await page.goto(`${node.duetime.httpUrl}/ui/apps/app`);
      expect(new URL(page.url()).pathname).toBe('/ui/login');
      await page.getByLabel('API token').fill('wrong-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForLoadState();
      expect(await page.getByRole('alert').textContent()).toContain('not valid');
      problems.length = 0; // the 401 answer is logged by the browser as a failed resource
      await page.getByLabel('API token').fill('admin-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/ui\/apps\/app$/);
      expect(await page.locator('tbody td.name a').allTextContents()).toEqual(['app-job']);
      await page.goto(`${node.duetime.httpUrl}/ui/apps/orders`);
      expect(await page.locator('tbody td.name a').allTextContents()).toEqual(['orders-job']);
      const cookies = await context.cookies();
      const tokenCookie = cookies.find((c) => c.name === 'duetime_ui_token');
      expect(tokenCookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/ui' });
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/ui\/login/);
      await page.goto(`${node.duetime.httpUrl}/ui`);
      expect(new URL(page.url()).pathname).toBe('/ui/login');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows a token bound to an app only that app', async () => {
    const { page, context } = await openPage(browser);
    try {
      await page.goto(`${node.duetime.httpUrl}/ui`);
      await page.getByLabel('API token').fill('orders-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/ui$/);
      expect(await page.locator('tbody td.name a').allTextContents()).toEqual(['orders']);
      const other = await page.goto(`${node.duetime.httpUrl}/ui/apps/app`);
      expect(other?.status()).toBe(403);
      expect(await page.getByRole('alert').textContent()).toContain('cannot act as "app"');
      const own = await page.goto(`${node.duetime.httpUrl}/ui/apps/orders/jobs/orders-job`);
      expect(own?.status()).toBe(200);
    } finally {
      await context.close();
    }
  });

  it('takes the API token header too, and answers nothing without a token', async () => {
    const withHeader = await fetch(`${node.duetime.httpUrl}/ui/live/stats`, { headers: { 'dapr-api-token': 'admin-token' } });
    expect(withHeader.status).toBe(200);
    expect(((await withHeader.json()) as { totalAttempts: number }).totalAttempts).toBeGreaterThanOrEqual(0);
    const without = await fetch(`${node.duetime.httpUrl}/ui/live/stats`, { redirect: 'manual' });
    expect(without.status).toBe(303);
    expect(without.headers.get('location')).toMatch(/^\/ui\/login\?next=/);
    await without.arrayBuffer();
  });
});

describe('--ui false', () => {
  it('serves no dashboard', async () => {
    const off = await startNode({ ui: false });
    try {
      const res = await off.call('GET', '/ui');
      expect(res.status).toBe(404);
      expect((await off.call('GET', '/healthz')).status).toBe(200);
    } finally {
      await off.close();
    }
  });
});
