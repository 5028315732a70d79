import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow } from '../../src/index.js';
import { useBrowser } from '../support/browser.js';
import { useHarness } from '../support/file-harness.js';

/** The run page's loop section for a long loop (real Chromium, real server, SQLite file). */
const N = z.object({ n: z.number() });
const poll = createStep({ id: 'poll', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
const waitForApproval = createStep({
  id: 'check',
  inputSchema: N,
  outputSchema: N,
  resumeSchema: z.object({ ok: z.boolean() }),
  execute: async ({ inputData, resumeData, suspend }) => (inputData.n === 3 && !resumeData ? suspend({ n: inputData.n }) : { n: inputData.n + 1 }),
});
const longLoop = createWorkflow({ id: 'long-loop', inputSchema: N, outputSchema: N })
  .dountil(poll, async ({ inputData }) => inputData.n >= 600)
  .commit();
const pausedLoop = createWorkflow({ id: 'paused-loop', inputSchema: N, outputSchema: N })
  .dountil(waitForApproval, async ({ inputData }) => inputData.n >= 5)
  .commit();

const h = useHarness({ workflows: { 'long-loop': longLoop, 'paused-loop': pausedLoop } });
const { page, pageErrors } = useBrowser();

describe('dashboard: loops', () => {
  it('a 600-iteration loop shows "iteration 600 of 600, showing last 20", what was compacted, and the last outputs', async () => {
    const run = await longLoop.createRun({ runId: 'long-run' });
    expect((await run.start({ inputData: { n: 0 } })).status).toBe('success');
    await page.goto(`${h.url}/#/runs/long-loop/long-run`);
    const loop = page.locator('[data-loop="loop#0"]');
    await expect.poll(() => loop.locator('.loop-summary').textContent(), { timeout: 10_000 }).toBe('iteration 600 of 600, showing last 20');
    // Compactions at 40, 60, ..., 600 cleared iterations 1..580.
    expect(await loop.locator('.loop-hidden').textContent()).toBe(
      "580 earlier iterations not shown (the engine keeps the last 20 iterations' values; the outputs of 580 of them were compacted (cleared by the engine, their conditions kept)).",
    );
    expect(await loop.locator('li[data-iteration]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-iteration'))))).toEqual(Array.from({ length: 20 }, (_, k) => 581 + k));
    await loop.locator('li[data-iteration="600"] summary').click();
    expect(JSON.parse((await page.locator('pre[aria-label="output of iteration 600 of poll"]').textContent()) ?? '')).toEqual({ n: 600 });
    expect(pageErrors).toEqual([]);
  });

  it('a loop suspended in its fourth iteration says so, and goes on after the resume form is sent', async () => {
    const run = await pausedLoop.createRun({ runId: 'paused-run' });
    expect((await run.start({ inputData: { n: 0 } })).status).toBe('suspended');
    await page.goto(`${h.url}/#/runs/paused-loop/paused-run`);
    const loop = page.locator('[data-loop="loop#0"]');
    await expect.poll(() => loop.locator('.loop-summary').textContent(), { timeout: 10_000 }).toBe('iteration 4 of 4 (suspended), showing last 4');
    expect(await loop.locator('.loop-hidden').count()).toBe(0);
    const form = page.getByRole('form', { name: 'resume check' });
    await form.getByLabel('Resume data (JSON)').fill('{"ok": true}');
    await form.getByRole('button', { name: 'Resume check' }).click();
    await expect.poll(() => loop.locator('.loop-summary').textContent(), { timeout: 10_000 }).toBe('iteration 5 of 5, showing last 5');
    expect(pageErrors).toEqual([]);
  });
});
