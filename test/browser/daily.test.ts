import { beforeAll, describe, expect, it } from 'vitest';
import { useBrowser } from '../support/browser.js';
import { useHarness } from '../support/file-harness.js';
import { waitUntil } from '../support/wait.js';
import { dailyWorkflows } from './daily-fixtures.js';

const h = useHarness({ workflows: dailyWorkflows() });
const { page } = useBrowser({ consoleErrors: true, failOnPageErrors: true });

const status = () => page.locator('#run-status');
const runUrl = (wf: string, runId: string) => `${h.url}/#/runs/${wf}/${runId}`;

async function startRun(wf: string, inputData: unknown, opts: { resourceId?: string; metadata?: Record<string, unknown> } = {}): Promise<string> {
  const run = await h.weft.getWorkflow(wf).createRun(opts.resourceId ? { resourceId: opts.resourceId } : {});
  await run.startAsync({ inputData, ...(opts.metadata ? { metadata: opts.metadata } : {}) });
  return run.runId;
}

describe('dashboard, day to day', { timeout: 60_000 }, () => {
  it('builds the start form from the input schema, prefilled from metadata.exampleInput', async () => {
    await page.goto(`${h.url}/#/workflows`);
    const form = page.getByRole('form', { name: 'start checkout' });
    await expect.poll(() => form.getByLabel('customer').inputValue()).toBe('ada');
    expect(await form.getByLabel('amount').inputValue()).toBe('42');
    expect(await form.getByLabel('express').isChecked()).toBe(true);
    expect(await form.locator('select[name="plan"] option:checked').textContent()).toBe('pro');
    expect(await form.locator('.hint').allTextContents()).toEqual(['Who pays', 'In euros']);
    // A field edits the JSON that is sent; the JSON edits the fields.
    await form.getByLabel('amount').fill('7');
    expect(JSON.parse(await form.getByLabel('Input (JSON)').inputValue())).toEqual({ customer: 'ada', amount: 7, express: true, plan: 'pro' });
    await form.getByLabel('Input (JSON)').fill('{"customer":"bob","amount":1200,"express":false,"plan":"free"}');
    expect(await form.getByLabel('customer').inputValue()).toBe('bob');
    expect(await form.getByLabel('express').isChecked()).toBe(false);
    await form.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/#\/runs\/checkout\//);
    await expect.poll(() => status().textContent(), { timeout: 10_000 }).toBe('suspended');
  });

  it('shows every attempt with its error, resumes from a schema form, and keeps the history after resume', async () => {
    const runId = await startRun('checkout', { customer: 'cy', amount: 99, express: true, plan: 'pro' });
    await page.goto(runUrl('checkout', runId));
    await expect.poll(() => status().textContent(), { timeout: 10_000 }).toBe('suspended');
    // One name per node: the sleep is `sleep_1` in the graph and in the timeline; steps show descriptions.
    expect(await page.locator('.graph [data-step="sleep_1"] .node-id').textContent()).toBe('sleep_1');
    expect(await page.locator('.graph [data-step="sleep_1"] .node-note').textContent()).toBe('sleep 200 ms');
    expect(await page.locator('.graph [data-step="charge"] .node-note').textContent()).toBe('Charges the card through the payment gateway');
    // The page re-renders from the run's stream: wait for the render that has the suspended step's row.
    await expect
      .poll(() => page.locator('table.gantt [data-step-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-step-row'))), { timeout: 10_000 })
      .toEqual(['charge', 'sleep_1', 'approve']);

    await page.locator('.graph [data-step="charge"]').click();
    const panel = page.locator('[data-panel="charge"]');
    await expect.poll(() => panel.locator('table.attempts tbody tr').count()).toBe(2);
    expect(await panel.locator('[data-attempt="1"] > td > details > summary').textContent()).toBe('Error [GATEWAY_TIMEOUT]: payment gateway timed out');
    expect(await panel.locator('[data-attempt="1"] td').last().textContent()).toBe('retried after 20 ms');
    expect(await panel.locator('[data-attempt="2"] td').nth(2).textContent()).toBe('succeeded');
    // The Gantt row of a retried step draws one segment per attempt, the failed one marked.
    expect(await page.locator('[data-step-row="charge"] .gantt-bar.attempt').count()).toBe(2);
    expect(await page.locator('[data-step-row="charge"] .gantt-bar.attempt.st-failed').count()).toBe(1);

    const form = page.getByRole('form', { name: 'resume approve' });
    await form.getByLabel('approved').check();
    await form.getByLabel('note').fill('looks fine');
    expect(JSON.parse(await form.getByLabel('Resume data (JSON)').inputValue())).toEqual({ approved: true, note: 'looks fine' });
    await form.getByRole('button', { name: 'Resume approve' }).click();
    await expect.poll(() => status().textContent(), { timeout: 10_000 }).toBe('success');

    const past = page.locator('[data-history="approve"]');
    await expect.poll(() => past.count()).toBe(1);
    expect(await past.locator('p').first().textContent()).toMatch(/^approve suspended .+ · resumed .+ after waiting \d/);
    expect(JSON.parse((await past.locator('pre[aria-label="suspend payload of approve"]').textContent()) ?? '')).toEqual({ question: 'approve 99 € for cy?' });
    expect(JSON.parse((await past.locator('pre[aria-label="resume data of approve"]').textContent()) ?? '')).toEqual({ approved: true, note: 'looks fine' });
  });

  it('shows a failed run with a readable error: code, message, formatted stack and cause', async () => {
    const runId = await startRun('broken', {});
    await page.goto(runUrl('broken', runId));
    await expect.poll(() => status().textContent(), { timeout: 10_000 }).toBe('failed');
    const box = page.locator('[aria-label="run error"]');
    expect(await box.locator('.error-code').first().textContent()).toBe('INVENTORY_DOWN');
    expect(await box.locator('.error-message').first().textContent()).toBe('inventory service unavailable');
    const stack = (await box.locator('pre.stack').first().textContent()) ?? '';
    expect(stack).not.toContain('\\n');
    expect(stack.split('\n').filter((l) => l.startsWith('at ')).length).toBeGreaterThan(2);
    expect(await box.locator('.error-box .error-message').textContent()).toBe('connection reset by peer');
    // A failed run opens on its failed step.
    expect(await page.locator('[data-panel="explode"] .error-code').first().textContent()).toBe('INVENTORY_DOWN');
  });

  it('does not show a canceled run as suspended, and shows when a sleep wakes', async () => {
    const runId = await startRun('checkout', { customer: 'di', amount: 5, express: false, plan: 'free' });
    await waitUntil(async () => (await h.weft.getRunSummary(runId)).status === 'suspended', { message: 'the run to suspend' });
    await h.weft.cancelRun(runId);
    await page.goto(runUrl('checkout', runId));
    await expect.poll(() => status().textContent()).toBe('canceled');
    expect(await page.locator('.graph [data-step="approve"] .node-status').textContent()).toBe('canceled');
    expect(await page.locator('[data-history="approve"] p').first().textContent()).toContain('never resumed: the run was canceled');

    const napId = await startRun('nap', {});
    await page.goto(runUrl('nap', napId));
    await expect.poll(() => page.locator('.graph [data-step="sleep_0"] .node-status').textContent(), { timeout: 10_000 }).toBe('waiting');
    await page.locator('.graph [data-step="sleep_0"]').click();
    const facts = await page.locator('[data-panel="sleep_0"] dl.facts').textContent();
    expect(facts).toMatch(/Wakes.+\(in (59|60) min/);
    await h.weft.cancelRun(napId);
  });

  it('draws foreach items and a nested workflow inside its parent, each openable', async () => {
    const runId = await startRun('packing', { items: ['mug', 'tea', 'spoon'] });
    await page.goto(runUrl('packing', runId));
    await expect.poll(() => status().textContent(), { timeout: 10_000 }).toBe('success');
    expect(await page.locator('.frame.foreach .frame-label').textContent()).toBe('foreach · concurrency 2 · 3 items');
    // The nested workflow's step is drawn inside the nested frame.
    expect(await page.locator('.frame.nested[data-step="ship"] [data-step="ship.label"] .node-id').textContent()).toBe('label');
    await page.locator('.graph [data-step="pack"]').click();
    const panel = page.locator('[data-panel="pack"]');
    expect(await panel.locator('.items h3').textContent()).toBe('Items (3)');
    await panel.locator('[data-item="1"] summary').click();
    expect(JSON.parse((await panel.locator('[data-item="1"] pre').textContent()) ?? '')).toEqual({ item: 'tea', packed: true });
    await page.locator('.graph [data-step="ship.label"]').click();
    expect(await page.locator('[data-panel="ship.label"] p.muted').first().textContent()).toBe('Prints the shipping label');
    // The timeline lists the nested step under its workflow, in the order things started.
    const rows = await page.locator('table.gantt [data-step-row]').evaluateAll((r) => r.map((x) => x.getAttribute('data-step-row')));
    expect(rows).toEqual(['mapping_0', 'pack', 'ship', 'ship.label']);
  });
});

describe('runs list at a few thousand runs', { timeout: 180_000 }, () => {
  const N = 3000;
  beforeAll(async () => {
    const wf = h.weft.getWorkflow('hold');
    for (let i = 0; i < N; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, async (_, j) => {
          const run = await wf.createRun({ resourceId: `cust-${(i + j) % 10}` });
          await run.startAsync({ inputData: { n: i + j } });
        }),
      );
    }
    await waitUntil(async () => (await h.weft.listRuns({ workflowId: 'hold', status: 'suspended' })).total === N, { timeout: 120_000, message: `${N} suspended runs` });
  }, 180_000);

  const total = () => page.locator('#runs-total').textContent();

  it('filters by resource, several statuses and id prefix, pages with a cursor, and updates live', async () => {
    await page.goto(`${h.url}/#/runs?workflowId=hold`);
    await expect.poll(total).toBe(`Runs 1–25 of ${N.toLocaleString()}`);
    expect(await page.locator('table.runs tbody tr').count()).toBe(25);
    expect(await page.locator('table.runs tbody td.num').first().textContent()).toMatch(/so far$|\d/);

    await page.getByRole('link', { name: 'Older →' }).click();
    await expect.poll(total).toBe(`Runs 26–50 of ${N.toLocaleString()}`);
    expect(page.url()).toContain('cursor=');

    await page.goto(`${h.url}/#/runs`);
    // The unfiltered list first (the hash change re-renders the form).
    await expect.poll(() => page.url()).not.toContain('cursor');
    await expect.poll(total).toMatch(/^Runs 1–25 of 3,0\d\d$/);
    await page.getByLabel('Resource').fill('cust-3');
    await page.getByRole('checkbox', { name: 'suspended', exact: true }).check();
    await page.getByRole('checkbox', { name: 'success', exact: true }).check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/status=suspended%2Csuccess|status=suspended,success/);
    await expect.poll(total).toBe(`Runs 1–25 of ${(N / 10).toLocaleString()}`);
    expect(new Set(await page.locator('table.runs tbody tr td:nth-child(5)').allTextContents())).toEqual(new Set(['cust-3']));

    const some = (await h.weft.listRuns({ workflowId: 'hold', resourceId: 'cust-7', perPage: 1, page: 17 })).runs[0]!.runId;
    await page.goto(`${h.url}/#/runs?runIdPrefix=${some.slice(0, 20)}`);
    await expect.poll(() => page.locator(`tr[data-run="${some}"]`).count()).toBe(1);

    // Live: a run started elsewhere appears at the top without a reload.
    await page.goto(`${h.url}/#/runs?workflowId=checkout`);
    await expect.poll(total).toMatch(/of \d/);
    const fresh = await startRun('checkout', { customer: 'live', amount: 1, express: false, plan: 'free' });
    await expect.poll(() => page.locator('table.runs tbody tr').first().getAttribute('data-run'), { timeout: 10_000 }).toBe(fresh);
  });

  it('cancels the selected runs and resumes every run matching the filters, after confirming', async () => {
    await page.goto(`${h.url}/#/runs?workflowId=hold&resourceId=cust-1&status=suspended`);
    await expect.poll(total).toBe(`Runs 1–25 of ${(N / 10).toLocaleString()}`);
    const picked = await page.locator('table.runs tbody tr').evaluateAll((rows) => rows.slice(0, 2).map((r) => r.getAttribute('data-run') ?? ''));
    for (const id of picked) await page.getByRole('checkbox', { name: `select run ${id}` }).check();
    expect(await page.locator('#bulk-count').textContent()).toBe(`2 selected · ${(N / 10).toLocaleString()} match the filters`);

    // Declining the confirmation changes nothing.
    await page.locator('[data-bulk="cancel"]').click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('Cancel 2 selected runs?');
    await dialog.getByRole('button', { name: 'Keep them' }).click();
    expect((await h.weft.getRunSummary(picked[0]!)).status).toBe('suspended');

    await page.locator('[data-bulk="cancel"]').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel 2' }).click();
    await expect.poll(() => page.locator('#bulk-status').textContent(), { timeout: 20_000 }).toMatch(/^Done: cancel: 2 of 2 looked at · 2 canceled/);
    for (const id of picked) expect((await h.weft.getRunSummary(id)).status).toBe('canceled');

    await page.getByLabel('Act on').selectOption('filter');
    await page.getByText('Resume data, metadata').click();
    await page.locator('#bulk-resume-data').fill('{"ok": true}');
    await page.locator('[data-bulk="resume"]').click();
    const left = N / 10 - 2;
    expect(await page.getByRole('dialog').textContent()).toContain(`every run matching the filters (${left.toLocaleString()} now)`);
    await page.getByRole('dialog').getByRole('button', { name: `Resume ${left.toLocaleString()}` }).click();
    await expect.poll(() => page.locator('#bulk-status').textContent(), { timeout: 60_000 }).toMatch(new RegExp(`^Done: resume: ${left} of ${left} looked at · ${left} resumed · 0 skipped · 0 failed`));
    await waitUntil(async () => (await h.weft.listRuns({ workflowId: 'hold', resourceId: 'cust-1', status: 'success' })).total === left, { timeout: 30_000, message: 'resumed runs to succeed' });
    expect((await h.weft.listRuns({ workflowId: 'hold', resourceId: 'cust-2', status: 'suspended' })).total).toBe(N / 10);
  });

  it('narrows a bulk action on the filters by metadata', async () => {
    const tagged = [];
    for (let i = 0; i < 3; i++) tagged.push(await startRun('hold', { n: i }, { resourceId: 'meta-r', metadata: { batch: 'm1' } }));
    const other = await startRun('hold', { n: 9 }, { resourceId: 'meta-r', metadata: { batch: 'm2' } });
    await waitUntil(async () => (await h.weft.listRuns({ resourceId: 'meta-r', status: 'suspended' })).total === 4, { message: 'four tagged runs to suspend' });
    await page.goto(`${h.url}/#/runs?resourceId=meta-r`);
    await expect.poll(total).toBe('Runs 1–4 of 4');
    await page.getByLabel('Act on').selectOption('filter');
    await page.getByText('Resume data, metadata').click();
    await page.getByLabel('Only runs with metadata').fill('batch=m1');
    await page.locator('[data-bulk="cancel"]').click();
    expect(await page.getByRole('dialog').textContent()).toContain('every run matching the filters (4 now) with metadata batch=m1');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel 4' }).click();
    await expect.poll(() => page.locator('#bulk-status').textContent(), { timeout: 20_000 }).toMatch(/^Done: cancel: 4 of 4 looked at · 3 canceled · 1 skipped · 0 failed/);
    for (const id of tagged) expect((await h.weft.getRunSummary(id)).status).toBe('canceled');
    expect((await h.weft.getRunSummary(other)).status).toBe('suspended');
  });
});
