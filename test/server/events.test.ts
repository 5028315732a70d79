import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse, startHarness, until, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ eventPollMs: 50 });
});
afterAll(async () => {
  await h.close();
});

const types = (msgs: { data: { type: string } }[]) => msgs.map((m) => m.data.type);

describe('GET .../events (SSE)', () => {
  it('streams a run started through the server, live events included, and ends after workflow-finish', async () => {
    const { body } = await h.api('/workflows/add/runs', { method: 'POST', json: { inputData: { n: 1 } } });
    const res = await fetch(`${h.url}/api/weft/workflows/add/runs/${body.runId}/events`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const msgs = await readSse(res);
    const events = msgs.filter((m) => m.event !== 'end');
    expect(types(events)).toEqual([
      'workflow-start',
      'workflow-step-start',
      'workflow-step-result',
      'workflow-step-start',
      'workflow-step-output',
      'workflow-step-result',
      'workflow-finish',
    ]);
    expect(msgs.at(-1)?.event).toBe('end');
    expect(events.every((m) => m.id && m.data.id === m.id && m.data.runId === body.runId)).toBe(true);
    expect(events[4]?.data.payload.output).toEqual({ note: 'doubling' });
  });

  it('replays only events after Last-Event-ID', async () => {
    const { body } = await h.api('/workflows/add/runs?wait=true', { method: 'POST', json: { inputData: { n: 1 } } });
    const all = (await readSse(await fetch(`${h.url}/api/weft/workflows/add/runs/${body.runId}/events`))).filter((m) => m.id);
    const third = all[2]!.id!;
    const rest = (await readSse(await fetch(`${h.url}/api/weft/workflows/add/runs/${body.runId}/events`, { headers: { 'last-event-id': third } }))).filter((m) => m.id);
    expect(rest.map((m) => m.id)).toEqual(all.slice(3).map((m) => m.id));
    const viaQuery = (await readSse(await fetch(`${h.url}/api/weft/workflows/add/runs/${body.runId}/events?lastEventId=${encodeURIComponent(third)}`))).filter((m) => m.id);
    expect(viaQuery).toHaveLength(rest.length);
    // An id from a feed this server does not know (e.g. before a restart) replays everything retained.
    const stale = (await readSse(await fetch(`${h.url}/api/weft/workflows/add/runs/${body.runId}/events`, { headers: { 'last-event-id': 'deadbeef.3' } }))).filter((m) => m.id);
    expect(stale).toHaveLength(all.length);
  });

  it('reads step events and output chunks from the store for runs this server did not watch', async () => {
    // Run it through the engine directly, before anyone listens: everything comes from the store.
    const run = await h.weft.getWorkflow('add').createRun();
    await run.start({ inputData: { n: 5 } });
    const msgs = (await readSse(await fetch(`${h.url}/api/weft/workflows/add/runs/${run.runId}/events`))).filter((m) => m.id);
    expect(types(msgs)).toEqual(['workflow-start', 'workflow-step-start', 'workflow-step-result', 'workflow-step-start', 'workflow-step-output', 'workflow-step-result', 'workflow-finish']);
    expect(msgs.at(-1)?.data.payload).toMatchObject({ workflowStatus: 'success', result: { n: 12 } });
  });

  it('ends a suspended run stream at suspension and continues it after resume without repeats', async () => {
    const { body } = await h.api('/workflows/approve/runs?wait=true', { method: 'POST', json: { inputData: { amount: 3 } } });
    const first = (await readSse(await fetch(`${h.url}/api/weft/workflows/approve/runs/${body.runId}/events`))).filter((m) => m.id);
    expect(types(first).slice(-2)).toEqual(['workflow-step-suspended', 'workflow-finish']);
    expect(first.at(-1)?.data.payload.workflowStatus).toBe('suspended');
    await h.api(`/workflows/approve/runs/${body.runId}/resume?wait=true`, { method: 'POST', json: { resumeData: { approved: true } } });
    const rest = (await readSse(await fetch(`${h.url}/api/weft/workflows/approve/runs/${body.runId}/events`, { headers: { 'last-event-id': first.at(-1)!.id! } }))).filter((m) => m.id);
    expect(types(rest)).toContain('workflow-step-result');
    expect(rest.at(-1)?.data.payload.workflowStatus).toBe('success');
    const ids = [...first, ...rest].map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('follows a long run live and reports cancellation', async () => {
    const { body } = await h.api('/workflows/slow/runs', { method: 'POST', json: { inputData: { ms: 20_000 } } });
    const res = await fetch(`${h.url}/api/weft/workflows/slow/runs/${body.runId}/events`);
    await until(() => h.store.loadRun(body.runId), (r) => r?.status === 'running');
    await h.api(`/workflows/slow/runs/${body.runId}/cancel`, { method: 'POST' });
    const msgs = (await readSse(res)).filter((m) => m.id);
    expect(types(msgs)).toContain('workflow-canceled');
    expect(msgs.at(-1)?.data.payload.workflowStatus).toBe('canceled');
  });

  it('404s the events of an unknown run', async () => {
    const res = await h.api('/workflows/add/runs/ghost/events');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('RUN_NOT_FOUND');
  });
});
