import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderPayment } from '../../src/examples/index.js';
import { startHarness, type Harness } from '../server/harness.js';
import { waitUntil } from '../support/wait.js';
import { ensureBuilt, weft } from './helpers.js';

/** `weft events send` against a real server running the order-payment example (a SQLite file). */
let h: Harness;
beforeAll(async () => {
  ensureBuilt();
  h = await startHarness({ workflows: { 'order-payment': orderPayment } });
}, 120_000);
afterAll(async () => {
  await h?.close();
});

const runStatus = (runId: string, status: string) =>
  waitUntil(async () => {
    const r = await h.api(`/workflows/order-payment/runs/${encodeURIComponent(runId)}`);
    return r.body?.view?.status === status ? r.body.view : null;
  }, { message: `run ${runId} ${status}` });

describe('weft events send', { timeout: 60_000 }, () => {
  it('starts a workflow by its trigger, then delivers the payment by key; a resend changes nothing', async () => {
    const placed = await weft(['events', 'send', 'order.placed', '--id', 'cli-1', '--data', '{"orderId":"C-1","amount":20}', '--url', h.url, '--json']);
    expect(placed.code).toBe(0);
    const out = JSON.parse(placed.stdout) as { started: string[] };
    expect(out.started).toHaveLength(1);
    const view = await runStatus(out.started[0]!, 'waiting');
    expect(view.waitingFor[0]).toMatchObject({ events: ['payment.received'], key: 'C-1' });

    const paid = await weft(['events', 'send', 'payment.received', '--key', 'C-1', '--data', '{"amount":20}', '--url', h.url]);
    expect(paid.code).toBe(0);
    expect(paid.stdout).toMatch(/delivered to event:order-payment:cli-1/);
    expect((await runStatus(out.started[0]!, 'success')).result).toEqual({ orderId: 'C-1', status: 'paid', paid: 20 });

    const again = await weft(['events', 'send', 'order.placed', '--id', 'cli-1', '--data', '{"orderId":"C-1","amount":20}', '--url', h.url]);
    expect(again.stdout).toMatch(/was sent before: nothing changed/);
  });

  it('refuses unknown events and bad data with their codes', async () => {
    const unknown = await weft(['events', 'send', 'nope', '--url', h.url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/UNKNOWN_EVENT/);
    const bad = await weft(['events', 'send', 'payment.received', '--key', 'x', '--data', '{"amount":"lots"}', '--url', h.url]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/VALIDATION_FAILED/);
    expect((await weft(['events', 'send', '--url', h.url])).code).toBe(2);
  });
});
