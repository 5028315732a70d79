import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, postgresStore, sqliteStore, Weft, type AnyWorkflow, type WeftOptions } from '../../src/index.js';
import { PG_URL } from '../store/pg-helpers.js';
import { waitUntil } from '../support/wait.js';
import { useStoreKinds } from '../support/store-kinds.js';

/** Events on every store: waits, early events, lists of names, keys, timeouts, idempotency, triggers. */

const kinds = useStoreKinds('ev');
const STORES = kinds.stores;
const wefts = kinds.wefts;

const Order = z.object({ orderId: z.string() });
const Payment = z.object({ amount: z.number() });

/** A step that returns what the wait handed it. */
function receiver(id: string, resumeSchema: z.ZodTypeAny = z.any()) {
  const calls = { count: 0 };
  const step = createStep({
    id,
    inputSchema: z.any(),
    outputSchema: z.any(),
    resumeSchema,
    execute: async ({ resumeData, event, timedOut }) => {
      calls.count++;
      return { resumeData: resumeData ?? null, event: event ? { name: event.name, key: event.key ?? null, id: event.id } : null, timedOut: timedOut ?? null };
    },
  });
  return { step, calls };
}

let ids = 0;
const uid = (p: string) => `${p}-${++ids}`;

describe.each(Object.keys(STORES))('events on %s', (kind) => {
  const make = (workflows: Record<string, AnyWorkflow>, opts: Omit<WeftOptions, 'workflows' | 'store'> = {}) => {
    const w = new Weft({ store: STORES[kind]!(), workflows, worker: { pollMs: 20 }, ...opts });
    wefts.push(w);
    return w;
  };
  const statusOf = async (weft: Weft, runId: string, status: string) =>
    waitUntil(async () => {
      const v = await weft.getRun(runId);
      return v?.status === status ? v : null;
    }, { message: `run ${runId} ${status}` });

  it('a run waits for an event by key, holds nothing while waiting, and gets the event as resumeData', async () => {
    const { step, calls } = receiver('paid', Payment);
    const wf = createWorkflow({ id: uid('pay'), inputSchema: Order, outputSchema: z.any() })
      .waitForEvent('payment.received', step, { match: { key: ({ inputData }) => inputData.orderId } })
      .commit();
    const weft = make({ wf });
    const a = await wf.createRun();
    const b = await wf.createRun();
    await a.startAsync({ inputData: { orderId: 'A' } });
    await b.startAsync({ inputData: { orderId: 'B' } });
    const waiting = await statusOf(weft, a.runId, 'waiting');
    expect(waiting.waitingFor).toEqual([expect.objectContaining({ events: ['payment.received'], key: 'A', deadline: null })]);
    await statusOf(weft, b.runId, 'waiting');
    expect(calls.count).toBe(0);

    const sent = await weft.sendEvent('payment.received', { key: 'A', data: { amount: 5 } });
    expect(sent).toMatchObject({ created: true, delivered: [a.runId], started: [] });
    const done = await statusOf(weft, a.runId, 'success');
    expect(done.result).toEqual({ resumeData: { amount: 5 }, event: { name: 'payment.received', key: 'A', id: sent.id }, timedOut: false });
    expect((await weft.getRun(b.runId))?.status).toBe('waiting');
    expect(calls.count).toBe(1);
  });

  it('an event sent before the run reaches its wait is matched when it gets there, and only once', async () => {
    const { step, calls } = receiver('go');
    const wf = createWorkflow({ id: uid('early'), inputSchema: Order, outputSchema: z.any() })
      .waitForEvent('order.ready', step, { match: { key: ({ inputData }) => inputData.orderId } })
      .commit();
    const weft = make({ wf });
    const sent = await weft.sendEvent('order.ready', { key: 'X', data: { n: 1 } });
    expect(sent.delivered).toEqual([]);
    const run = await wf.createRun();
    const res = await run.start({ inputData: { orderId: 'X' } });
    expect(res).toMatchObject({ status: 'success', result: { resumeData: { n: 1 }, event: { id: sent.id } } });
    // A second run with the same key gets it too (events go to every run that waits for them) ...
    const again = await wf.createRun();
    expect((await again.start({ inputData: { orderId: 'X' } })).status).toBe('success');
    // ... but a run waiting twice for the name in a loop takes each event once.
    expect(calls.count).toBe(2);
  });

  it('each event is delivered once per run: a loop waiting again does not get the same event', async () => {
    const { step, calls } = receiver('tick');
    const inner = createWorkflow({ id: uid('inner'), inputSchema: z.any(), outputSchema: z.any() }).waitForEvent('tick', step).commit();
    const wf = createWorkflow({ id: uid('loop'), inputSchema: z.any(), outputSchema: z.any() })
      .dountil(inner, async () => calls.count >= 2)
      .commit();
    const weft = make({ wf });
    const run = await wf.createRun();
    await run.startAsync({ inputData: {} });
    await statusOf(weft, run.runId, 'waiting');
    await run.sendEvent('tick', { i: 1 });
    await waitUntil(async () => calls.count === 1 && (await weft.getRun(run.runId))?.status === 'waiting', { message: 'first tick taken, waiting again' });
    await run.sendEvent('tick', { i: 2 });
    await statusOf(weft, run.runId, 'success');
    expect(calls.count).toBe(2);
  });

  it('waits for the first of several events; the step sees which one arrived', async () => {
    const { step } = receiver('decide');
    const wf = createWorkflow({ id: uid('first'), inputSchema: z.any(), outputSchema: z.any() }).waitForEvent(['approved', 'rejected'], step).commit();
    const weft = make({ wf });
    const run = await wf.createRun();
    await run.startAsync({ inputData: {} });
    await statusOf(weft, run.runId, 'waiting');
    await weft.sendEvent('rejected', { data: { why: 'no' } });
    const done = await statusOf(weft, run.runId, 'success');
    expect(done.result).toMatchObject({ resumeData: { why: 'no' }, event: { name: 'rejected' } });
    // The other name arriving later changes nothing.
    expect((await weft.sendEvent('approved', { data: {} })).delivered).toEqual([]);
  });

  it('a timeout ends the wait: the step runs with timedOut, or the run fails with EVENT_TIMEOUT', async () => {
    const { step } = receiver('late');
    const soft = createWorkflow({ id: uid('soft'), inputSchema: z.any(), outputSchema: z.any() }).waitForEvent('never', step, { timeout: 30 }).commit();
    const hard = createWorkflow({ id: uid('hard'), inputSchema: z.any(), outputSchema: z.any() })
      .waitForEvent('never', receiver('late2').step, { timeout: '40ms', onTimeout: 'fail' })
      .commit();
    make({ soft, hard });
    const r1 = await soft.createRun();
    expect(await r1.start({ inputData: {} })).toMatchObject({ status: 'success', result: { timedOut: true, event: null, resumeData: null } });
    const r2 = await hard.createRun();
    const failed = await r2.start({ inputData: {} });
    expect(failed.status).toBe('failed');
    expect(failed.status === 'failed' && failed.error).toMatchObject({ code: 'EVENT_TIMEOUT' });
  });

  it('an event id makes sends idempotent; unknown names and bad data are refused and change nothing', async () => {
    const { step, calls } = receiver('paid', Payment);
    const wf = createWorkflow({ id: uid('idem'), inputSchema: z.any(), outputSchema: z.any() }).waitForEvent('paid', step).commit();
    const weft = make({ wf });
    await expect(weft.sendEvent('nobody.listens', { data: {} })).rejects.toMatchObject({ code: 'UNKNOWN_EVENT' });
    await expect(weft.sendEvent('paid', { data: { amount: 'five' } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(weft.sendEvent('bad name!', {})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const run = await wf.createRun();
    await run.startAsync({ inputData: {} });
    await statusOf(weft, run.runId, 'waiting');
    const first = await weft.sendEvent('paid', { id: 'evt-1', data: { amount: 1 } });
    const second = await weft.sendEvent('paid', { id: 'evt-1', data: { amount: 1 } });
    expect(first).toMatchObject({ id: 'evt-1', created: true, delivered: [run.runId] });
    expect(second).toMatchObject({ id: 'evt-1', created: false, delivered: [] });
    await statusOf(weft, run.runId, 'success');
    expect(calls.count).toBe(1);
  });

  it('run.sendEvent reaches that run only', async () => {
    const { step } = receiver('ok');
    const wf = createWorkflow({ id: uid('one'), inputSchema: z.any(), outputSchema: z.any() }).waitForEvent('ok', step).commit();
    const weft = make({ wf });
    const a = await wf.createRun();
    const b = await wf.createRun();
    await a.startAsync({ inputData: {} });
    await b.startAsync({ inputData: {} });
    await statusOf(weft, a.runId, 'waiting');
    await statusOf(weft, b.runId, 'waiting');
    const res = await b.sendEvent('ok', { who: 'b' });
    expect(res.delivered).toEqual([b.runId]);
    await statusOf(weft, b.runId, 'success');
    expect((await weft.getRun(a.runId))?.status).toBe('waiting');
  });

  it('workflows started by events: one run per event and workflow, none twice on a resend, filters apply', async () => {
    const seen: unknown[] = [];
    const record = createStep({ id: 'record', inputSchema: Order, outputSchema: Order, execute: async ({ inputData }) => (seen.push(inputData), inputData) });
    const wf = createWorkflow({ id: uid('trig'), inputSchema: Order, outputSchema: Order, triggers: [{ event: 'order.created', filter: (d) => d.orderId !== 'skip' }] })
      .then(record)
      .commit();
    const weft = make({ wf });
    const sent = await weft.sendEvent('order.created', { id: 'o-1', data: { orderId: 'o-1' } });
    expect(sent.started).toHaveLength(1);
    await statusOf(weft, sent.started[0]!, 'success');
    expect((await weft.sendEvent('order.created', { id: 'o-1', data: { orderId: 'o-1' } })).started).toEqual([]);
    expect((await weft.sendEvent('order.created', { data: { orderId: 'skip' } })).started).toEqual([]);
    await expect(weft.sendEvent('order.created', { data: { orderId: 7 } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(seen).toEqual([{ orderId: 'o-1' }]);
  });

  it('a waiting run survives a restart of the engine (nothing held in memory)', async () => {
    if (kind === 'memory') return;
    const store = STORES[kind]!;
    const shared = store();
    const { step } = receiver('later');
    const build = () => createWorkflow({ id: 'restart-wait', inputSchema: z.any(), outputSchema: z.any() }).waitForEvent('later', step, { match: { key: () => 'k' } }).commit();
    const first = new Weft({ store: shared, workflows: { wf: build() }, worker: { pollMs: 20 } });
    const run = await first.getWorkflow('wf').createRun();
    await run.startAsync({ inputData: {} });
    await statusOf(first, run.runId, 'waiting');
    await first.stop();
    const reopened = kind === 'sqlite' ? sqliteStore({ path: kinds.lastFile() }) : postgresStore({ connectionString: PG_URL, schema: (shared as unknown as { schema: string }).schema });
    const second = new Weft({ store: reopened, workflows: { wf: build() }, worker: { pollMs: 20 } });
    wefts.push(second);
    expect((await second.sendEvent('later', { key: 'k', data: { v: 1 } })).delivered).toEqual([run.runId]);
    const done = await statusOf(second, run.runId, 'success');
    expect(done.result).toMatchObject({ resumeData: { v: 1 } });
  });
});

describe.each(Object.keys(STORES))('completion tokens on %s', (kind) => {
  const make = (workflows: Record<string, AnyWorkflow>) => {
    const w = new Weft({ store: STORES[kind]!(), workflows, worker: { pollMs: 20 } });
    wefts.push(w);
    return w;
  };
  /** Sends an approval link (records the token), then waits for the link to be used. */
  function approvalFlow(timeout?: string | number) {
    const links: { token: string; url: string }[] = [];
    const mail = createStep({
      id: 'mail',
      inputSchema: z.any(),
      outputSchema: z.any(),
      execute: async ({ createToken }) => {
        const t = await createToken(timeout === undefined ? undefined : { timeout });
        links.push(t);
        return { sent: true };
      },
    });
    const decide = createStep({
      id: 'decide',
      inputSchema: z.any(),
      outputSchema: z.any(),
      resumeSchema: z.object({ approved: z.boolean() }),
      execute: async ({ resumeData, timedOut }) => ({ approved: resumeData?.approved ?? null, timedOut }),
    });
    const wf = createWorkflow({ id: uid('approve-link'), inputSchema: z.any(), outputSchema: z.any() }).then(mail).waitForToken(decide).commit();
    return { wf, links };
  }

  it('a token completes the wait once; reuse, unknown tokens and bad data are refused and change nothing', async () => {
    const { wf, links } = approvalFlow();
    const weft = make({ wf });
    const run = await wf.createRun();
    await run.startAsync({ inputData: {} });
    await waitUntil(async () => (await weft.getRun(run.runId))?.status === 'waiting', { message: 'run waiting for its token' });
    const [link] = links;
    expect(link!.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(link!.url).toBe(`/api/weft/tokens/${link!.token}`);
    await expect(weft.completeToken('x'.repeat(43), { approved: true })).rejects.toMatchObject({ code: 'TOKEN_NOT_FOUND' });
    await expect(weft.completeToken(link!.token, { approved: 'yes' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await weft.completeToken(link!.token, { approved: true })).toEqual({ runId: run.runId, delivered: true });
    await expect(weft.completeToken(link!.token, { approved: false })).rejects.toMatchObject({ code: 'TOKEN_USED' });
    await waitUntil(async () => (await weft.getRun(run.runId))?.status === 'success', { message: 'run done' });
    expect((await weft.getRun(run.runId))?.result).toEqual({ approved: true, timedOut: false });
    await expect(weft.sendEvent('weft.token', { data: {} })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('an expired token is refused', async () => {
    const { wf, links } = approvalFlow(1);
    const weft = make({ wf });
    const run = await wf.createRun();
    await run.startAsync({ inputData: {} });
    await waitUntil(async () => (await weft.getRun(run.runId))?.status === 'waiting', { message: 'run waiting for its token' });
    await waitUntil(() => Date.now() > (links[0] as unknown as { expiresAt: Date }).expiresAt.getTime() + 5, { message: 'the token to be past its timeout' });
    await expect(weft.completeToken(links[0]!.token, { approved: true })).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    expect((await weft.getRun(run.runId))?.status).toBe('waiting');
  });
});

describe('events and the other run commands', () => {
  it('time travel to the step after a wait runs it again without waiting again', async () => {
    const { step, calls } = receiver('after');
    const wf = createWorkflow({ id: uid('travel'), inputSchema: z.any(), outputSchema: z.any() }).waitForEvent('go', step).commit();
    const weft = new Weft({ store: memoryStore(), workflows: { wf }, worker: { pollMs: 20 } });
    wefts.push(weft);
    const run = await wf.createRun();
    await run.startAsync({ inputData: {} });
    await waitUntil(async () => (await weft.getRun(run.runId))?.status === 'waiting', { message: 'waiting' });
    await run.sendEvent('go', { v: 1 });
    await waitUntil(async () => (await weft.getRun(run.runId))?.status === 'success', { message: 'done' });
    const again = await run.timeTravel({ step: 'after' });
    expect(again.status).toBe('success');
    expect(calls.count).toBe(2);
    // The event it took is kept: the step sees it again.
    expect(again.status === 'success' && again.result).toMatchObject({ resumeData: { v: 1 }, event: { name: 'go' } });
  });
});
