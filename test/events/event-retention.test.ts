import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, InvalidArgumentError, Weft, type AnyWorkflow, type Store } from '../../src/index.js';
import { FakeClock, withTestSeams } from '../../src/testing/index.js';
import { storeCases } from '../ops/stores.js';
import { waitUntil } from '../support/wait.js';

/**
 * Retention of stored events: workers delete the events nothing can take any more (past their early
 * window, or taken by the run they were sent to) and used or expired tokens, on a fake clock.
 */
const { cases, engine } = storeCases('evret');
const HOUR = 3_600_000;
const MINUTE = 60_000;
let seq = 0;

/** The workflows of test number `k` (a new one by default); the same `k` builds them again for another engine. */
function workflows(k = ++seq) {
  const take = createStep({ id: 'take', inputSchema: z.any(), outputSchema: z.any(), resumeSchema: z.object({ amount: z.number() }), execute: async ({ resumeData }) => resumeData ?? null });
  const paid = createWorkflow({ id: `paid-${k}`, inputSchema: z.object({ orderId: z.string() }), outputSchema: z.any() })
    .waitForEvent(`paid-${k}`, take, { match: { key: ({ inputData }) => (inputData as { orderId: string }).orderId } })
    .commit();
  const links: string[] = [];
  const mail = createStep({
    id: 'mail',
    inputSchema: z.any(),
    outputSchema: z.any(),
    execute: async ({ createToken }) => {
      links.push((await createToken({ timeout: '1h' })).token);
      return {};
    },
  });
  const decide = createStep({ id: 'decide', inputSchema: z.any(), outputSchema: z.any(), resumeSchema: z.object({ ok: z.boolean() }), execute: async ({ resumeData }) => resumeData ?? null });
  const approve = createWorkflow({ id: `approve-${k}`, inputSchema: z.any(), outputSchema: z.any() }).then(mail).waitForToken(decide).commit();
  return { paid, approve, links, event: `paid-${k}` };
}

describe('events.keepMs', () => {
  it('is checked', () => {
    expect(() => new Weft({ events: { keepMs: -1 } })).toThrow(InvalidArgumentError);
    expect(() => new Weft({ events: { keepMs: 'long' as never } })).toThrow(InvalidArgumentError);
  });
});

describe.each(cases)('event retention ($name)', ({ make }) => {
  const start = (store: Store, clock: FakeClock, wfs: Record<string, AnyWorkflow>, keepMs = 10 * MINUTE) =>
    engine(store, withTestSeams({ workflows: wfs, worker: { pollMs: 20, pruneEveryMs: 86_400_000, pruneBatch: 2 }, events: { windowMs: HOUR, keepMs } }, { clock }));

  it('an event no run took is kept for its window, then deleted; until then a resend with its id does nothing', async () => {
    const clock = new FakeClock();
    const w = workflows();
    const weft = start(make().shared(), clock, { paid: w.paid });
    await weft.start();
    for (let i = 0; i < 3; i++) await weft.sendEvent(w.event, { id: `early-${i}`, key: `o${i}`, data: { amount: i } });
    clock.advance(HOUR - MINUTE);
    expect(await weft.applyRetention()).toEqual({ deleted: 0, eventsDeleted: 0 });
    expect((await weft.sendEvent(w.event, { id: 'early-0', key: 'o0', data: { amount: 0 } })).created).toBe(false);
    // A run reaching its wait within the window still gets its early event.
    const run = await w.paid.createRun();
    await run.startAsync({ inputData: { orderId: 'o1' } });
    await waitUntil(async () => (await weft.getRun(run.runId))?.status === 'success', { message: 'the run to take its early event' });
    clock.advance(2 * MINUTE);
    // Three events, batches of two.
    expect(await weft.applyRetention()).toEqual({ deleted: 0, eventsDeleted: 3 });
    expect(weft.retentionStats().eventsDeleted).toBe(3);
    expect((await weft.sendEvent(w.event, { id: 'early-0', key: 'o0', data: { amount: 0 } })).created).toBe(true);
  });

  it('keepMs: Infinity keeps events for good', async () => {
    const clock = new FakeClock();
    const w = workflows();
    const weft = start(make().shared(), clock, { paid: w.paid }, Infinity);
    await weft.start();
    await weft.sendEvent(w.event, { id: 'kept', key: 'o1', data: { amount: 1 } });
    clock.advance(1000 * 86_400_000);
    expect((await weft.applyRetention()).eventsDeleted).toBe(0);
    expect((await weft.sendEvent(w.event, { id: 'kept', key: 'o1', data: { amount: 1 } })).created).toBe(false);
  });

  it('two engines on one store prune events together: each deleted once, no errors', async () => {
    const clock = new FakeClock();
    const w = workflows();
    const data = make();
    const a = start(data.shared(), clock, { paid: w.paid });
    const b = start(data.shared(), clock, { paid: workflows(seq).paid });
    await a.start();
    await b.start();
    for (let i = 0; i < 30; i++) await a.sendEvent(w.event, { key: `o${i}`, data: { amount: i } });
    clock.advance(2 * HOUR);
    const [ra, rb] = await Promise.all([a.applyRetention(), b.applyRetention()]);
    expect(ra.eventsDeleted + rb.eventsDeleted).toBe(30);
    expect(a.retentionStats().lastError).toBeNull();
    expect(b.retentionStats().lastError).toBeNull();
  });

  it('an event sent to one run goes keepMs after that run took it, before its window ends', async () => {
    const clock = new FakeClock();
    const w = workflows();
    const weft = start(make().shared(), clock, { paid: w.paid });
    await weft.start();
    const run = await w.paid.createRun();
    await run.startAsync({ inputData: { orderId: 'x' } });
    await waitUntil(async () => (await weft.getRun(run.runId))?.status === 'waiting', { message: 'the run to wait' });
    expect((await run.sendEvent(w.event, { amount: 5 })).delivered).toEqual([run.runId]);
    await waitUntil(async () => (await weft.getRun(run.runId))?.status === 'success', { message: 'the run to take the event' });
    clock.advance(9 * MINUTE);
    expect((await weft.applyRetention()).eventsDeleted).toBe(0);
    clock.advance(2 * MINUTE);
    expect((await weft.applyRetention()).eventsDeleted).toBe(1);
  });

  it('a used token goes keepMs after it was taken, an unused one keepMs after it expired; then it is not found', async () => {
    const clock = new FakeClock();
    const w = workflows();
    const weft = start(make().shared(), clock, { approve: w.approve });
    await weft.start();
    const used = await w.approve.createRun();
    await used.startAsync({ inputData: {} });
    const unused = await w.approve.createRun();
    await unused.startAsync({ inputData: {} });
    await waitUntil(async () => w.links.length === 2 && (await weft.getRun(unused.runId))?.status === 'waiting' && (await weft.getRun(used.runId))?.status === 'waiting', {
      message: 'both runs waiting for their tokens',
    });
    const [usedToken, unusedToken] = [w.links[0]!, w.links[1]!];
    const usedRun = (await weft.completeToken(usedToken, { ok: true })).runId;
    const unusedRunId = usedRun === used.runId ? unused.runId : used.runId;
    await waitUntil(async () => (await weft.getRun(usedRun))?.status === 'success', { message: 'the run to take its token' });
    clock.advance(11 * MINUTE);
    // The completion and the record of the used token.
    expect((await weft.applyRetention()).eventsDeleted).toBe(2);
    await expect(weft.completeToken(usedToken, { ok: false })).rejects.toMatchObject({ code: 'TOKEN_NOT_FOUND' });
    clock.advance(HOUR - 11 * MINUTE + MINUTE);
    await expect(weft.completeToken(unusedToken, { ok: true })).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    expect((await weft.applyRetention()).eventsDeleted).toBe(0);
    clock.advance(10 * MINUTE);
    expect((await weft.applyRetention()).eventsDeleted).toBe(1);
    await expect(weft.completeToken(unusedToken, { ok: true })).rejects.toMatchObject({ code: 'TOKEN_NOT_FOUND' });
    expect((await weft.getRun(unusedRunId))?.status).toBe('waiting');
  });
});
