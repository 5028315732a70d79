import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient } from '../../src/client/index.js';
import { createStep, createWorkflow } from '../../src/index.js';
import { startHarness, type Harness } from './harness.js';
import { waitUntil } from '../support/wait.js';

/** POST /api/weft/events/:name and the typed client's sendEvent, on a real server and SQLite file. */
const paid = createStep({
  id: 'paid',
  inputSchema: z.object({ orderId: z.string() }),
  outputSchema: z.any(),
  resumeSchema: z.object({ amount: z.number() }),
  execute: async ({ resumeData, event }) => ({ amount: resumeData?.amount, via: event?.name }),
});
const order = createWorkflow({ id: 'order', inputSchema: z.object({ orderId: z.string() }), outputSchema: z.any() })
  .waitForEvent('payment', paid, { match: { key: ({ inputData }) => inputData.orderId } })
  .commit();

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ workflows: { order } });
});
afterAll(async () => {
  await h.close();
});

const statusOf = (runId: string, status: string) =>
  waitUntil(async () => {
    const r = await h.api(`/workflows/order/runs/${runId}`);
    return r.body?.view?.status === status ? r.body.view : null;
  }, { message: `run ${runId} ${status}` });

describe('sending events over HTTP', () => {
  it('a waiting run shows what it waits for, and POST /events/:name delivers by key', async () => {
    await h.api('/workflows/order/runs', { method: 'POST', json: { runId: 'o1', inputData: { orderId: 'o1' } } });
    const view = await statusOf('o1', 'waiting');
    expect(view.waitingFor).toEqual([expect.objectContaining({ events: ['payment'], key: 'o1', deadline: null })]);
    const res = await h.api('/events/payment', { method: 'POST', json: { key: 'o1', data: { amount: 3 }, id: 'pay-o1' } });
    expect(res).toMatchObject({ status: 202, body: { id: 'pay-o1', created: true, delivered: ['o1'] } });
    expect((await statusOf('o1', 'success')).result).toEqual({ amount: 3, via: 'payment' });
    const again = await h.api('/events/payment', { method: 'POST', json: { key: 'o1', data: { amount: 3 }, id: 'pay-o1' } });
    expect(again).toMatchObject({ status: 202, body: { created: false, delivered: [] } });
  });

  it('bad requests get named errors and store nothing', async () => {
    expect(await h.api('/events/nope', { method: 'POST', json: { data: {} } })).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_EVENT' } } });
    expect(await h.api('/events/payment', { method: 'POST', json: { id: 'bad-1', data: { amount: 'x' } } })).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    expect(await h.api('/events/payment', { method: 'POST', json: { extra: 1 } })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } });
    // The refused id was not stored: sending it again with good data is a new event.
    expect((await h.api('/events/payment', { method: 'POST', json: { id: 'bad-1', data: { amount: 1 } } })).body).toMatchObject({ created: true });
  });

  it('the typed client sends events, to every waiting run or to one run', async () => {
    const client = createClient({ baseUrl: h.url });
    const wf = client.getWorkflow('order');
    const a = await wf.createRun({ runId: 'c1' });
    await a.startAsync({ inputData: { orderId: 'c1' } });
    await statusOf('c1', 'waiting');
    expect(await client.sendEvent('payment', { key: 'c1', data: { amount: 9 } })).toMatchObject({ created: true, delivered: ['c1'] });
    expect((await statusOf('c1', 'success')).result).toEqual({ amount: 9, via: 'payment' });

    const b = await wf.createRun({ runId: 'c2' });
    await b.startAsync({ inputData: { orderId: 'c2' } });
    await statusOf('c2', 'waiting');
    expect(await b.sendEvent('payment', { amount: 4 })).toMatchObject({ delivered: ['c2'] });
    expect((await statusOf('c2', 'success')).result).toEqual({ amount: 4, via: 'payment' });
  });
});

describe('completing tokens over HTTP (a server that requires a bearer token)', () => {
  it('POST /tokens/:token needs no bearer token, works once, and refuses unknown tokens', async () => {
    const links: string[] = [];
    const mail = createStep({
      id: 'mail',
      inputSchema: z.any(),
      outputSchema: z.any(),
      execute: async ({ createToken }) => (links.push((await createToken({ timeout: '1h' })).url), {}),
    });
    const take = createStep({ id: 'take', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ resumeData }) => resumeData });
    const hook = createWorkflow({ id: 'hook', inputSchema: z.any(), outputSchema: z.any() }).then(mail).waitForToken(take).commit();
    const guarded = await startHarness({ workflows: { hook }, token: 'secret' });
    try {
      const auth = { authorization: 'Bearer secret' };
      expect((await guarded.api('/workflows/hook/runs', { method: 'POST', json: { runId: 'h1', inputData: {} }, headers: auth })).status).toBe(202);
      await waitUntil(async () => links.length === 1 && (await guarded.api('/workflows/hook/runs/h1', { headers: auth })).body?.view?.status === 'waiting', { message: 'the run to wait for its token' });
      const url = `${guarded.url}${links[0]}`;
      const post = (body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const first = await post({ status: 'paid' });
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ runId: 'h1', delivered: true });
      const second = await post({ status: 'paid' });
      expect(second.status).toBe(409);
      expect(await second.json()).toMatchObject({ error: { code: 'TOKEN_USED' } });
      const unknown = await fetch(`${guarded.url}/api/weft/tokens/${'a'.repeat(43)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(unknown.status).toBe(404);
      // Every other route still needs the bearer token.
      expect((await guarded.api('/runs')).status).toBe(401);
      await waitUntil(async () => (await guarded.api('/workflows/hook/runs/h1', { headers: auth })).body?.view?.status === 'success', { message: 'the run to finish' });
      expect((await guarded.api('/workflows/hook/runs/h1', { headers: auth })).body.view.result).toEqual({ status: 'paid' });
    } finally {
      await guarded.close();
    }
  });
});
