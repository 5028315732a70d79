import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow } from '../../src/index.js';
import { useBrowser } from '../support/browser.js';
import { useHarness } from '../support/file-harness.js';

/** The dashboard's run pages of a parent and its child run: what the parent waits for, links both ways (real Chromium). */
let release: () => void = () => {};
const held = new Promise<void>((r) => (release = r));
const child = createWorkflow({ id: 'child-work', inputSchema: z.object({ n: z.number() }), outputSchema: z.object({ n: z.number() }) })
  .then(createStep({ id: 'work', inputSchema: z.object({ n: z.number() }), outputSchema: z.object({ n: z.number() }), execute: async ({ inputData }) => (await held, { n: inputData.n * 10 }) }))
  .commit();
const parent = createWorkflow({ id: 'parent-work', inputSchema: z.object({ n: z.number() }), outputSchema: z.any() })
  .then(createStep({ id: 'delegate', inputSchema: z.object({ n: z.number() }), outputSchema: z.any(), execute: async (ctx) => ctx.startWorkflow(child, { n: ctx.inputData.n }) }))
  .commit();

const h = useHarness({ workflows: { 'parent-work': parent, 'child-work': child } });
const { page, pageErrors } = useBrowser();
// Registered last, so it runs first: a held step must not keep the server from stopping.
afterAll(() => release());

describe('dashboard: child runs', () => {
  it('a waiting parent names its child run and links to it; the child links back to its parent', async () => {
    const started = await h.api('/workflows/parent-work/runs', { method: 'POST', json: { runId: 'parent-run', inputData: { n: 4 } } });
    expect(started.status).toBe(202);
    await page.goto(`${h.url}/#/runs/parent-work/parent-run`);
    await expect.poll(() => page.locator('#run-status').textContent(), { timeout: 10_000 }).toBe('waiting');
    const wait = page.locator('[data-child-wait="delegate@child0"]');
    await expect.poll(() => wait.textContent(), { timeout: 10_000 }).toMatch(/^Waiting for child run child-[0-9a-f]{32} \(workflow child-work\) since /);
    const childId = (await wait.locator('a').textContent())!;
    await expect.poll(() => page.locator('#child-runs li').textContent(), { timeout: 10_000 }).toBe(`${childId} started by step delegate`);
    await expect.poll(() => wait.locator('a').getAttribute('href'), { timeout: 10_000 }).toBe(`#/runs/child-work/${childId}`);

    await wait.locator('a').click();
    await expect.poll(() => page.locator('h1 code').textContent(), { timeout: 10_000 }).toBe(childId);
    await expect.poll(() => page.locator('#parent-run').textContent(), { timeout: 10_000 }).toBe('Started by step delegate of parent run parent-run');
    await expect.poll(() => page.locator('#parent-run a').getAttribute('href'), { timeout: 10_000 }).toBe('#/runs/parent-work/parent-run');

    release();
    await expect.poll(() => page.locator('#run-status').textContent(), { timeout: 10_000 }).toBe('success');
    await page.locator('#parent-run a').click();
    await expect.poll(() => page.locator('#run-status').textContent(), { timeout: 10_000 }).toBe('success');
    expect(await page.locator('pre[aria-label="run result"]').textContent()).toContain('"n": 40');
    expect(await page.locator('[data-child-wait]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
