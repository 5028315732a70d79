import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow } from '../../src/index.js';
import { documentReview, orderPayment } from '../../src/examples/index.js';
import { useBrowser } from '../support/browser.js';
import { useHarness } from '../support/file-harness.js';

/** The dashboard's run page for a run waiting for events: what it waits for, and sending one (real Chromium). */
const mail = createStep({ id: 'mail', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ createToken }) => ({ sent: (await createToken()).expiresAt !== null }) });
const decide = createStep({ id: 'decide', inputSchema: z.any(), outputSchema: z.any(), resumeSchema: z.object({ ok: z.boolean() }), execute: async ({ resumeData }) => resumeData ?? null });
const approveLink = createWorkflow({ id: 'approve-link', inputSchema: z.any(), outputSchema: z.any() }).then(mail).waitForToken(decide).commit();
const h = useHarness({ workflows: { 'document-review': documentReview, 'order-payment': orderPayment, 'approve-link': approveLink } });
const { page, pageErrors } = useBrowser();

describe('dashboard: waiting for events', () => {
  it('shows the events, key and deadline a run waits for, and sends the chosen event to it', async () => {
    const started = await h.api('/workflows/document-review/runs', { method: 'POST', json: { runId: 'doc-run', inputData: { documentId: 'doc-1', title: 'Plan' } } });
    expect(started.status).toBe(202);
    await page.goto(`${h.url}/#/runs/document-review/doc-run`);
    await expect.poll(() => page.locator('#run-status').textContent(), { timeout: 10_000 }).toBe('waiting');
    const form = page.getByRole('form', { name: 'send an event to waitForEvent_record-decision' });
    await expect.poll(() => form.locator('h3').textContent(), { timeout: 10_000 }).toBe('Waiting for review.approved or review.rejected');
    expect(await form.locator('[data-wait]').textContent()).toMatch(/^Key: doc-1 · waiting since .+ until .+ \(then it goes on without an event\)$/);
    await form.getByLabel('Event', { exact: true }).selectOption('review.rejected');
    await form.getByLabel('Event data (JSON)').fill('{"by": "ada"}');
    await form.getByRole('button', { name: 'Send event with key doc-1' }).click();
    await expect.poll(() => page.locator('#run-status').textContent(), { timeout: 10_000 }).toBe('success');
    expect(await page.locator('pre[aria-label="run result"]').textContent()).toContain('"decision": "rejected"');
    expect(pageErrors).toEqual([]);
  });

  it('builds the form from the event\'s schema, sends the event with the run\'s key, and shows the fields the server refused', async () => {
    const started = await h.api('/workflows/order-payment/runs', { method: 'POST', json: { runId: 'pay-run', inputData: { orderId: 'A-77', amount: 42 } } });
    expect(started.status).toBe(202);
    await page.goto(`${h.url}/#/runs/order-payment/pay-run`);
    await expect.poll(() => page.locator('#run-status').textContent(), { timeout: 10_000 }).toBe('waiting');
    const form = page.getByRole('form', { name: 'send an event to waitForEvent_settle-payment' });
    await expect.poll(() => form.locator('h3').textContent(), { timeout: 10_000 }).toBe('Waiting for payment.received');
    // The fields come from payment.received's schema (the step's resumeSchema): amount (required), provider (optional).
    const fields = form.getByRole('group', { name: 'fields from the schema' });
    await expect.poll(() => fields.locator('label').allTextContents()).toEqual(['amount', 'provider (optional)']);
    const send = form.getByRole('button', { name: 'Send event with key A-77' });

    // Data failing the schema: refused with the field named, nothing delivered.
    await fields.getByLabel('amount').fill('-5');
    expect(JSON.parse(await form.getByLabel('Event data (JSON)').inputValue())).toEqual({ amount: -5 });
    await send.click();
    await expect.poll(() => form.locator('[data-issue]').allTextContents(), { timeout: 10_000 }).toEqual([expect.stringMatching(/^amount: /)]);
    expect(await page.locator('#run-status').textContent()).toBe('waiting');

    // Valid data: sent by name with the run's key (as a webhook would), and the run goes on.
    await fields.getByLabel('amount').fill('42');
    await fields.getByLabel('provider (optional)').fill('card');
    const request = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/weft/events/payment.received'));
    await send.click();
    expect((await request).postDataJSON()).toEqual({ key: 'A-77', data: { amount: 42, provider: 'card' } });
    await expect.poll(() => page.locator('#run-status').textContent(), { timeout: 10_000 }).toBe('success');
    expect(await page.locator('pre[aria-label="run result"]').textContent()).toContain('"status": "paid"');
    expect(pageErrors).toEqual([]);
  });

  it('a run waiting for a completion token says so, with no event form (only the token completes it)', async () => {
    const started = await h.api('/workflows/approve-link/runs', { method: 'POST', json: { runId: 'token-run', inputData: {} } });
    expect(started.status).toBe(202);
    await page.goto(`${h.url}/#/runs/approve-link/token-run`);
    await expect.poll(() => page.locator('#run-status').textContent(), { timeout: 10_000 }).toBe('waiting');
    await expect.poll(() => page.locator('[data-wait]').textContent(), { timeout: 10_000 }).toMatch(/waits for its completion token/);
    expect(await page.getByRole('form', { name: /send an event/ }).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
