import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/index.js';
import { useBrowser } from '../support/browser.js';
import { useHarness } from '../support/file-harness.js';
import { waitUntil } from '../support/wait.js';
import { dailyWorkflows } from './daily-fixtures.js';

/**
 * The screenshots in docs/dashboard.md, taken in Chromium from a server holding 10,000 runs: the run
 * page, a failed run and the runs list. Each test checks what the picture shows; the PNGs go to
 * test-artifacts/, and with WEFT_UPDATE_SCREENSHOTS=1 also to docs/img/.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const DOCS_IMG = join(ROOT, 'docs/img');
const N = 10_000;

mkdirSync(ARTIFACTS, { recursive: true });
mkdirSync(DOCS_IMG, { recursive: true });
const h = useHarness({ workflows: dailyWorkflows(), store: memoryStore() });

async function shot(name: string): Promise<void> {
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: name !== 'dashboard-runs-10k' });
  if (process.env.WEFT_UPDATE_SCREENSHOTS === '1') copyFileSync(file, join(DOCS_IMG, `${name}.png`));
}

async function start(wf: string, inputData: unknown, resourceId: string): Promise<string> {
  const run = await h.weft.getWorkflow(wf).createRun({ resourceId });
  await run.startAsync({ inputData });
  return run.runId;
}

beforeAll(async () => {
  // 10,000 runs: most suspended, some finished, some failed.
  for (let i = 0; i < N; i += 200) {
    await Promise.all(
      Array.from({ length: 200 }, (_, j) => {
        const k = i + j;
        if (k % 10 === 3) return start('broken', {}, `cust-${k % 40}`);
        if (k % 10 === 7) return start('packing', { items: ['mug', 'tea'] }, `cust-${k % 40}`);
        return start('hold', { n: k }, `cust-${k % 40}`);
      }),
    );
  }
  await waitUntil(async () => (await h.weft.listRuns({ status: ['pending', 'running'] })).total === 0, { timeout: 120_000, message: 'the seeded runs to settle' });
}, 180_000);
// Launched after the seeding, which it would only slow down.
const { page } = useBrowser();

describe('dashboard screenshots at 10,000 runs', { timeout: 60_000 }, () => {
  it('the run page: graph, step panel with attempts, history after resume, Gantt timeline', async () => {
    const runId = await start('checkout', { customer: 'ada', amount: 420, express: true, plan: 'pro' }, 'cust-1');
    await waitUntil(async () => (await h.weft.getRunSummary(runId)).status === 'suspended', { message: 'the checkout to suspend' });
    await h.weft.getWorkflow('checkout').createRun({ runId }).then((r) => r.resume({ resumeData: { approved: true, note: 'known customer' } }));
    await page.goto(`${h.url}/#/runs/checkout/${runId}`);
    await expect.poll(() => page.locator('#run-status').textContent()).toBe('success');
    await page.locator('.graph [data-step="charge"]').click();
    await expect.poll(() => page.locator('[data-panel="charge"] table.attempts tbody tr').count()).toBe(2);
    await shot('dashboard-run');
  });

  it('a failed run: the error with its code, message, stack and cause', async () => {
    const failed = (await h.weft.listRuns({ workflowId: 'broken', status: 'failed', perPage: 1 })).runs[0]!;
    await page.goto(`${h.url}/#/runs/broken/${failed.runId}`);
    await expect.poll(() => page.locator('[aria-label="run error"] .error-code').first().textContent()).toBe('INVENTORY_DOWN');
    await shot('dashboard-failed-run');
  });

  it('the runs list at 10,000 runs', async () => {
    await page.goto(`${h.url}/#/runs`);
    await expect.poll(() => page.locator('#runs-total').textContent()).toBe(`Runs 1–25 of ${(N + 1).toLocaleString()}`);
    await page.getByRole('checkbox', { name: `select run ${(await page.locator('table.runs tbody tr').nth(1).getAttribute('data-run')) ?? ''}` }).check();
    await shot('dashboard-runs-10k');
  });
});
