import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCRIPT_PAYLOAD } from '../server/fixtures.js';
import { startHarness } from '../server/harness.js';
import { useBrowser } from '../support/browser.js';
import { useHarness } from '../support/file-harness.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');

mkdirSync(ARTIFACTS, { recursive: true });
const h = useHarness();
const { browser, page, pageErrors } = useBrowser({ consoleErrors: true, failOnPageErrors: true });

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });

async function startFromForm(workflow: string, input: unknown): Promise<string> {
  await page.goto(`${h.url}/#/workflows`);
  const form = page.getByRole('form', { name: `start ${workflow}` });
  await form.getByLabel('Input (JSON)').fill(JSON.stringify(input));
  await form.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(new RegExp(`#/runs/${workflow}/`));
  return decodeURIComponent(page.url().split('/').pop() ?? '');
}

const status = () => page.locator('#run-status');

describe('dashboard', () => {
  it('lists workflows with their graphs', async () => {
    await page.goto(`${h.url}/`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Workflows');
    expect(await page.locator('section.card h2').allTextContents()).toEqual(['add', 'approve', 'slow', 'fails', 'html']);
    expect(await page.locator('section.card').first().locator('.node .node-id').allTextContents()).toEqual(['inc', 'double']);
    // Each card says how many unfinished runs each version still has (the drain view of a deploy).
    await expect.poll(() => page.getByLabel('versions of add').textContent()).toMatch(/^Unfinished runs by version: [0-9a-f]{16}: \d+$/);
    await shot('workflows');
  });

  it('starts a run and watches it finish live, with the graph coloured and a timeline', async () => {
    const runId = await startFromForm('slow', { ms: 800 });
    await expect.poll(() => status().textContent(), { timeout: 5000 }).toBe('running');
    await shot('run-running');
    await expect.poll(() => status().textContent(), { timeout: 10_000 }).toBe('success');
    expect(await page.locator('[data-step="wait"]').getAttribute('class')).toContain('st-success');
    expect(await page.locator('[data-step-row="wait"] td').nth(2).textContent()).toMatch(/ms|s/);
    expect(await page.locator('pre[aria-label="run result"]').textContent()).toContain('"waited": true');
    expect(runId.length).toBeGreaterThan(0);
    await shot('run-success');
  });

  it('resumes a suspended run through the form', async () => {
    await startFromForm('approve', { amount: 42 });
    await expect.poll(() => status().textContent(), { timeout: 5000 }).toBe('suspended');
    const form = page.getByRole('form', { name: 'resume ask' });
    expect(await form.locator('pre').textContent()).toContain('approve 42?');
    await form.getByLabel('Resume data (JSON)').fill('{"approved": "not a boolean"}');
    await form.getByRole('button', { name: 'Resume ask' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toContain('Invalid resume data');
    await shot('resume-invalid');
    // The rejected request (400) is logged by the browser; that one is expected.
    expect(pageErrors.splice(0)).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await form.getByLabel('Resume data (JSON)').fill('{"approved": true}');
    await form.getByRole('button', { name: 'Resume ask' }).click();
    await expect.poll(() => status().textContent(), { timeout: 5000 }).toBe('success');
    expect(await page.locator('pre[aria-label="run result"]').textContent()).toContain('"approved": true');
    await shot('resumed');
  });

  it('cancels a running run', async () => {
    await startFromForm('slow', { ms: 30_000 });
    await expect.poll(() => status().textContent(), { timeout: 5000 }).toBe('running');
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await expect.poll(() => status().textContent(), { timeout: 5000 }).toBe('canceled');
    expect(await page.getByRole('button', { name: 'Cancel run' }).isDisabled()).toBe(true);
    await shot('canceled');
  });

  it('shows an output containing <script> as text and never executes it', async () => {
    await startFromForm('html', {});
    await expect.poll(() => status().textContent(), { timeout: 5000 }).toBe('success');
    const text = await page.locator('pre[aria-label="run result"]').textContent();
    expect(text).toContain(JSON.stringify(SCRIPT_PAYLOAD).slice(1, -1));
    expect(await page.evaluate(() => (window as unknown as { __pwned?: boolean }).__pwned)).toBeUndefined();
    expect(await page.locator('#main script, #main img, #main b').count()).toBe(0);
    await page.locator('details.step-detail summary').first().click();
    expect(await page.evaluate(() => (window as unknown as { __pwned?: boolean }).__pwned)).toBeUndefined();
    await shot('html-output');
  });

  it('lists runs with filters and live status', async () => {
    await page.goto(`${h.url}/#/runs`);
    await expect.poll(() => page.locator('table.runs tbody tr').count()).toBeGreaterThanOrEqual(4);
    await page.getByRole('checkbox', { name: 'canceled', exact: true }).check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/status=canceled/);
    await expect.poll(() => page.locator('table.runs tbody tr').count()).toBe(1);
    expect(await page.locator('table.runs tbody .badge').allTextContents()).toEqual(['canceled']);
    await page.getByRole('checkbox', { name: 'canceled', exact: true }).uncheck();
    await page.getByLabel('Workflow').selectOption('approve');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.locator('table.runs tbody .badge').allTextContents()).toEqual(['success']);
    // A run started elsewhere appears without a reload.
    const run = await h.weft.getWorkflow('approve').createRun();
    await run.start({ inputData: { amount: 1 } });
    await expect.poll(() => page.locator('table.runs tbody .badge').allTextContents(), { timeout: 5000 }).toEqual(['suspended', 'success']);
    await shot('runs');
  });
});

describe('dashboard with a token', () => {
  it('asks for the token, then works', async () => {
    const secured = await startHarness({ token: 'let-me-in' });
    const p = await browser.newPage();
    try {
      await p.goto(`${secured.url}/`);
      await p.getByLabel('Token').fill('let-me-in');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => p.getByRole('heading', { level: 1 }).textContent()).toBe('Workflows');
    } finally {
      await p.close();
      await secured.close();
    }
  });
});
