// Debian's chromium driven by playwright-core (which downloads no browser); installed by
// scripts/ensure-services.sh when missing. Each page records console errors, page errors,
// failed requests and dialogs (an alert() would mean injected script ran).

import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught page errors, failed requests, dialogs: empty on a clean page. */
  problems: string[];
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run bash scripts/ensure-services.sh as root (it installs Debian's chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: 60_000 });
}

export async function openPage(browser: Browser, options: { width?: number; height?: number; headers?: Record<string, string> } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    ...(options.headers ? { extraHTTPHeaders: options.headers } : {}),
  });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? '';
    // A subresource still loading when the test moves on (the icon of a page it leaves at once)
    // is cancelled by the browser, not refused by the server: that is ERR_ABORTED, and only that.
    if (reason === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${request.url()} ${reason}`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { page, context, problems };
}

// What the functions run in the page read (the tests are type-checked without the DOM library;
// functions, not strings, because the dashboard's CSP forbids eval).
interface BrowserGlobals {
  innerWidth: number;
  document: { documentElement: { scrollWidth: number }; activeElement: { textContent: string | null } | null };
}

/** The trimmed text of the focused element. */
export async function focusedText(page: Page): Promise<string> {
  return page.evaluate(() => ((globalThis as unknown as BrowserGlobals).document.activeElement?.textContent ?? '').trim());
}

/** How much wider than the viewport the page is (0: no horizontal scroll). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const { document: doc, innerWidth } = globalThis as unknown as BrowserGlobals;
    return doc.documentElement.scrollWidth - innerWidth;
  });
}

/** Where screenshots go when DUETIME_UI_SCREENSHOTS is set (npm run docs:screenshots): docs/ui/. */
export function screenshotDir(): string | undefined {
  if (!process.env.DUETIME_UI_SCREENSHOTS) return undefined;
  const dir = new URL('../../../docs/ui/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  return dir;
}
