// The dashboard in a real headless Chromium against a running Duetime with real jobs: every page
// loads without console errors at 1280 px and 390 px without horizontal scroll, each action
// changes the job as the API shows, the actions are reachable with Tab, caller-controlled names
// and data render inert, and forms from elsewhere are refused.

import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from '../support.js';
import { focusedText, horizontalOverflow, launchBrowser, openPage, screenshotDir } from './browser.js';

const XSS_NAME = '<img src=x onerror=alert(1)>';
const XSS_DATA = { html: '<script>alert(2)</script>', attr: '" onmouseover="alert(3)' };

let node: Node;
let browser: Browser;
const job = (name: string) => `/ui/apps/app/jobs/${encodeURIComponent(name)}`;

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

beforeAll(async () => {
  node = await startNode();
  node.receiver.respond = (request) => ({ status: request.path.includes('retrying') ? 500 : 200 });
  const schedule = async (name: string, body: unknown) => expect((await node.call('POST', `/v1.0-alpha1/jobs/${encodeURIComponent(name)}`, body)).status).toBe(204);
  await schedule('heartbeat', { schedule: '@every 1s', data: { beat: true } });
  await schedule('retrying', { schedule: '@every 2s', failurePolicy: { constant: { interval: '1s', maxRetries: 100 } } });
  await schedule('nightly-report', { schedule: '0 0 2 * * *', data: { report: 'sales', recipients: ['ops@example.com'] } });
  await schedule('paused-one', { schedule: '@every 1h' });
  expect((await node.call('POST', '/v1.0-alpha1/jobs/paused-one/pause')).status).toBe(200);
  await schedule('action-target', { schedule: '@every 1h' });
  await schedule('keyboard-target', { schedule: '@every 1h' });
  await schedule(XSS_NAME, { dueTime: '1h', data: XSS_DATA });
  for (let i = 0; i < 60; i++) await schedule(`bulk-${String(i).padStart(3, '0')}`, { dueTime: '2h' });
  // Some history and some lateness to show.
  await waitFor(() => node.call('GET', '/v1.0-alpha1/jobs/heartbeat'), (r) => r.body?.status?.count >= 2);
  await waitFor(() => node.call('GET', '/v1.0-alpha1/jobs/retrying'), (r) => r.body?.status?.attempts >= 1);
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await node?.close();
});

describe('dashboard pages', () => {
  const pages = () => [
    { name: 'apps', path: '/ui', heading: 'Apps' },
    { name: 'jobs', path: '/ui/apps/app', heading: 'Jobs of app' },
    { name: 'job', path: job('nightly-report'), heading: 'nightly-report' },
    { name: 'live', path: '/ui/live', heading: 'Live' },
    { name: 'cluster', path: '/ui/cluster', heading: 'Cluster' },
  ];

  for (const width of [1280, 390]) {
    it(`every page loads without console errors and without horizontal scroll at ${width} px`, async () => {
      const { page, context, problems } = await openPage(browser, { width });
      try {
        for (const p of pages()) {
          const response = await page.goto(`${node.duetime.httpUrl}${p.path}`);
          expect(response?.status(), p.path).toBe(200);
          expect(await page.locator('h1').first().textContent(), p.path).toContain(p.heading);
          if (p.name === 'live') expect(await waitFor(() => page.locator('#rate').textContent(), (t) => t !== '—', 15_000)).toMatch(/^\d+\.\d$/);
          expect(await horizontalOverflow(page), `${p.path} at ${width} px`).toBeLessThanOrEqual(0);
          const dir = screenshotDir();
          if (dir && (width === 1280 || p.name === 'job')) await page.screenshot({ path: join(dir, `${p.name}${width === 1280 ? '' : '-phone'}.png`), fullPage: width !== 1280 || p.name !== 'jobs' });
        }
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it('the apps page counts the jobs by state', async () => {
    const { page, context, problems } = await openPage(browser);
    try {
      await page.goto(`${node.duetime.httpUrl}/ui`);
      const row = page.locator('tr', { has: page.locator('a', { hasText: /^app$/ }) });
      const cells = (await row.locator('td').allTextContents()).map((t) => t.trim());
      // App, endpoint, active, paused, staged, failing, finished.
      expect(cells[0]).toBe('app');
      expect(cells[1]).toBe(node.receiver.url);
      expect(Number(cells[2])).toBeGreaterThanOrEqual(60);
      expect(cells[3]).toBe('1');
      expect(cells[5]).toBe('1');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the job list searches by prefix, filters by state and pages', async () => {
    const { page, context, problems } = await openPage(browser);
    try {
      await page.goto(`${node.duetime.httpUrl}/ui/apps/app`);
      await page.getByLabel('Name starts with').fill('bulk-');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(/prefix=bulk-/);
      expect(await page.locator('tbody tr').count()).toBe(50);
      expect(await page.locator('tbody tr td.name a').first().textContent()).toBe('bulk-000');
      await page.getByRole('link', { name: 'Next page' }).click();
      await page.waitForURL(/cursor=/);
      const second = await page.locator('tbody tr td.name a').allTextContents();
      expect(second).toEqual(Array.from({ length: 10 }, (_, i) => `bulk-${String(50 + i).padStart(3, '0')}`));
      expect(await page.getByRole('link', { name: 'Next page' }).count()).toBe(0);
      // Next trigger times are shown.
      expect(await page.locator('tbody tr time').count()).toBe(10);

      await page.goto(`${node.duetime.httpUrl}/ui/apps/app`);
      await page.getByLabel('State').selectOption('paused');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(/state=paused/);
      expect(await page.locator('tbody tr td.name a').allTextContents()).toEqual(['paused-one']);
      await page.goto(`${node.duetime.httpUrl}/ui/apps/app?state=failing`);
      expect(await page.locator('tbody tr td.name a').allTextContents()).toEqual(['retrying']);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the job page shows the definition, status and the history of ticks', async () => {
    const { page, context, problems } = await openPage(browser);
    try {
      await page.goto(`${node.duetime.httpUrl}${job('heartbeat')}`);
      expect(await page.locator('pre').textContent()).toContain('"schedule": "@every 1s"');
      expect(await page.locator('dl.facts').textContent()).toContain('Next trigger');
      const history = page.locator('table tbody tr');
      expect(await history.count()).toBeGreaterThanOrEqual(2);
      expect(await history.first().textContent()).toContain('success');
      await page.goto(`${node.duetime.httpUrl}${job('retrying')}`);
      expect(await page.locator('table tbody').textContent()).toContain('failed');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('dashboard actions', () => {
  const state = async (name: string) => (await node.call('GET', `/v1.0-alpha1/jobs/${encodeURIComponent(name)}`)).body?.status?.state;

  it('pause, resume, trigger now and delete (after confirming) change the job as the API shows', async () => {
    const { page, context, problems } = await openPage(browser);
    try {
      await page.goto(`${node.duetime.httpUrl}${job('action-target')}`);
      await page.getByRole('button', { name: 'Pause' }).click();
      await page.waitForURL(/done=paused/);
      expect(await state('action-target')).toBe('paused');
      expect(await page.getByRole('status').textContent()).toBe('Paused.');

      await page.getByRole('button', { name: 'Resume' }).click();
      await page.waitForURL(/done=resumed/);
      expect(await state('action-target')).toBe('active');

      await page.getByRole('button', { name: 'Trigger now' }).click();
      await page.waitForURL(/done=triggered/);
      await node.receiver.waitFor(() => node.receiver.received.some((r) => r.path === '/job/action-target'), 20_000);
      const after = await waitFor(() => node.call('GET', '/v1.0-alpha1/jobs/action-target/history'), (r) => r.body?.history?.length === 1);
      expect(after.body.history[0]).toMatchObject({ manual: true, outcome: 'success' });

      await page.getByRole('link', { name: 'Delete…' }).click();
      await page.waitForURL(/confirm=delete/);
      expect(await state('action-target')).toBe('active'); // nothing happens before confirming
      await page.getByRole('button', { name: 'Delete the job' }).click();
      await page.waitForURL(/deleted=action-target/);
      expect((await node.call('GET', '/v1.0-alpha1/jobs/action-target')).status).toBe(404);
      expect(await page.getByRole('status').textContent()).toBe('Deleted action-target.');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('Tab reaches every action, and Enter on Pause pauses the job', async () => {
    const { page, context, problems } = await openPage(browser);
    try {
      await page.goto(`${node.duetime.httpUrl}${job('keyboard-target')}`);
      const reached: string[] = [];
      for (let i = 0; i < 40 && !reached.includes('Delete…'); i++) {
        await page.keyboard.press('Tab');
        reached.push(await focusedText(page));
      }
      expect(reached).toEqual(expect.arrayContaining(['Skip to content', 'Apps and jobs', 'Live', 'Cluster', 'Pause', 'Trigger now', 'Delete…']));
      await page.goto(`${node.duetime.httpUrl}${job('keyboard-target')}`);
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        if ((await focusedText(page)) === 'Pause') break;
      }
      await page.keyboard.press('Enter');
      await page.waitForURL(/done=paused/);
      expect(await state('keyboard-target')).toBe('paused');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('renders a job named with HTML, and HTML in its data, as inert text', async () => {
    const { page, context, problems } = await openPage(browser);
    try {
      await page.goto(`${node.duetime.httpUrl}/ui/apps/app`);
      expect(await page.getByRole('link', { name: XSS_NAME }).count()).toBe(1);
      await page.getByRole('link', { name: XSS_NAME }).click();
      await page.waitForURL(/jobs\/%3Cimg/);
      expect(await page.locator('h1').textContent()).toBe(XSS_NAME);
      expect(await page.locator('pre').textContent()).toContain(XSS_DATA.html);
      expect(await page.locator('img, script:not([src])').count()).toBe(0);
      await page.locator('pre').hover();
      await page.waitForTimeout(300);
      expect(problems).toEqual([]); // no alert() dialog, no CSP violation
    } finally {
      await context.close();
    }
  });

  it('refuses a form posted from another site or without the session value, and the job is unchanged', async () => {
    const url = `${node.duetime.httpUrl}${job('heartbeat')}/pause`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const foreign = await fetch(url, { method: 'POST', headers: { ...form, origin: 'https://evil.example' }, body: 'csrf=x&ns=default', redirect: 'manual' });
    expect(foreign.status).toBe(403);
    const noToken = await fetch(url, { method: 'POST', headers: { ...form, origin: node.duetime.httpUrl }, body: 'ns=default', redirect: 'manual' });
    expect(noToken.status).toBe(403);
    const forged = await fetch(url, { method: 'POST', headers: { ...form, origin: node.duetime.httpUrl, cookie: 'duetime_ui_session=' + 'a'.repeat(64) }, body: `csrf=${'b'.repeat(64)}`, redirect: 'manual' });
    expect(forged.status).toBe(403);
    const noOrigin = await fetch(url, { method: 'POST', headers: { ...form, cookie: 'duetime_ui_session=' + 'a'.repeat(64) }, body: `csrf=${'a'.repeat(64)}`, redirect: 'manual' });
    expect(noOrigin.status).toBe(403);
    expect(await state('heartbeat')).toBe('active');
    // The API's JSON routes still refuse a form body.
    const api = await fetch(`${node.duetime.httpUrl}/v1.0-alpha1/jobs/heartbeat`, { method: 'POST', headers: form, body: 'schedule=@every 1s' });
    expect(api.status).toBe(415);
  });
});
