import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { live } from './live.js';

/** Debian's Chromium, driven by playwright-core (no downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';
/** The flags every browser test launches it with: no sandbox (containers, root), no GPU, no update or metrics traffic. */
export const CHROMIUM_FLAGS: readonly string[] = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--headless'];
const VIEWPORT = { width: 1280, height: 900 };

export interface BrowserOptions {
  /** Flags added to CHROMIUM_FLAGS, e.g. a host resolver rule. */
  extraFlags?: string[];
  /** Count the console's error messages (a failed request logs one) as page errors too, not only uncaught exceptions. */
  consoleErrors?: boolean;
  /** After each test, take the page errors collected so far and fail the test if there were any. */
  failOnPageErrors?: boolean;
}

export interface BrowserFixture {
  /** The file's Chromium (launched before its tests, closed after them). */
  browser: Browser;
  /** The current test's page, in a browser context of its own (new for each test, closed after it). */
  page: Page;
  /**
   * The errors the file's pages reported, in order (see BrowserOptions.consoleErrors): one list for the
   * whole file, so a test that checks it at its end also sees what an earlier test's page reported late.
   */
  pageErrors: string[];
  /** Another page in the current test's context; its errors are collected too, and it is closed with the context. */
  newPage(): Promise<Page>;
}

/**
 * Registers the hooks of a browser test file: Chromium launched once for the file, a fresh context and
 * page for each test, and all of it closed after the test or the file, whether it passed or not.
 * Without /usr/bin/chromium the file fails loudly: browser tests are never skipped.
 * Call it at the top level of the file, after the hooks that start what the pages visit, so that those
 * stop after the browser (vitest runs `after` hooks in reverse order).
 */
export function useBrowser(opts: BrowserOptions = {}): BrowserFixture {
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  const pageErrors: string[] = [];
  const watch = (p: Page) => {
    p.on('pageerror', (e) => pageErrors.push(e.message));
    if (opts.consoleErrors) {
      p.on('console', (m) => {
        if (m.type() === 'error') pageErrors.push(m.text());
      });
    }
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS, ...(opts.extraFlags ?? [])] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    browser = undefined;
  });
  beforeEach(async () => {
    context = await browser!.newContext({ viewport: VIEWPORT });
    context.on('page', watch);
    page = await context.newPage();
  });
  afterEach(async () => {
    try {
      if (opts.failOnPageErrors) expect(pageErrors.splice(0), 'errors reported by the pages').toEqual([]);
    } finally {
      await context?.close();
      context = undefined;
      page = undefined;
    }
  });

  return {
    browser: live(() => browser, 'the browser'),
    page: live(() => page, "the test's page"),
    pageErrors,
    newPage: () => {
      if (!context) throw new Error("a page can be opened only during a test (the test's context is closed)");
      return context.newPage();
    },
  };
}
