import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, Weft, memoryStore } from '../../src/index.js';
import { createApp } from '../../src/server/index.js';
import { waitUntil } from '../support/wait.js';
import { makeFixtures } from './fixtures.js';
import { startHarness, type Harness } from './harness.js';

/**
 * Mastra's workflow protocol as weft serves it under /api (the compat package runs @mastra/client-js
 * and Studio against it; these tests pin the wire shapes without those packages).
 */
const RS = '\x1E';

async function mastra(h: Harness, path: string, init: RequestInit & { json?: unknown } = {}) {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('content-type', 'application/json');
  const res = await fetch(`${h.url}/api${path}`, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // a stream, or text
  }
  return { status: res.status, body, text, headers: res.headers };
}

const chunks = (text: string) =>
  text
    .split(RS)
    .filter((s) => s.trim() !== '')
    .map((s) => JSON.parse(s) as { type: string; runId: string; payload: Record<string, any> });

function nestedFixtures() {
  const num = z.object({ n: z.number() });
  const inc = createStep({ id: 'inc', inputSchema: num, outputSchema: num, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const dec = createStep({ id: 'dec', inputSchema: num, outputSchema: num, execute: async ({ inputData }) => ({ n: inputData.n - 1 }) });
  const inc2 = createStep({ id: 'inc2', inputSchema: num, outputSchema: num, execute: async ({ inputData }) => ({ n: inputData.n + 2 }) });
  const child = createWorkflow({ id: 'child', inputSchema: num, outputSchema: num }).then(inc).commit();
  const parent = createWorkflow({ id: 'parent', inputSchema: num, outputSchema: z.any() }).then(child).parallel([dec, inc2]).commit();
  return { parent };
}

describe("Mastra's workflow routes under /api", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ workflows: { ...makeFixtures(), ...nestedFixtures() } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('lists workflows as a record by key, with steps, schemas as JSON Schema strings and the graph', async () => {
    const { status, body } = await mastra(h, '/workflows');
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['add', 'approve', 'fails', 'html', 'parent', 'slow']);
    const add = body.add;
    expect(add.name).toBe('add');
    expect(Object.keys(add.steps)).toEqual(['inc', 'double']);
    expect(JSON.parse(add.inputSchema)).toEqual({ json: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { n: { type: 'number' } }, required: ['n'], additionalProperties: false } });
    expect(add.stepGraph).toEqual([
      { type: 'step', step: { id: 'inc', canSuspend: false } },
      { type: 'step', step: { id: 'double', canSuspend: false } },
    ]);
    expect(body.approve.stepGraph[0].step.canSuspend).toBe(true);
    expect(typeof body.approve.steps.ask.resumeSchema).toBe('string');
    const partial = (await mastra(h, '/workflows?partial=true')).body.add;
    expect(partial.steps).toEqual({});
    expect(partial.stepCount).toBe(2);
  });

  it('describes nested workflows: the child as a WORKFLOW step, its steps in allSteps as child.step', async () => {
    const { body } = await mastra(h, '/workflows/parent');
    expect(Object.keys(body.steps)).toEqual(['child', 'dec', 'inc2']);
    expect(body.steps.child.component).toBe('WORKFLOW');
    expect(body.allSteps['child.inc']).toMatchObject({ id: 'inc', isWorkflow: false });
    expect(body.allSteps.child.isWorkflow).toBe(true);
  });

  it('create-run names a run (stored once it starts); start-async answers Mastra\'s result shape', async () => {
    const created = await mastra(h, '/workflows/add/create-run', { method: 'POST', json: {} });
    expect(created.body).toEqual({ runId: expect.any(String) });
    const res = await mastra(h, `/workflows/add/start-async?runId=${created.body.runId}`, { method: 'POST', json: { inputData: { n: 2 } } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'success', input: { n: 2 }, result: { n: 6 }, stepExecutionPath: ['inc', 'double'], runId: created.body.runId });
    expect(res.body.steps.input).toEqual({ n: 2 });
    expect(res.body.steps.inc).toEqual({ startedAt: expect.any(Number), status: 'success', output: { n: 3 }, endedAt: expect.any(Number) });
  });

  it('reports a failed run as a result with its error, not as an HTTP error', async () => {
    const res = await mastra(h, '/workflows/fails/start-async', { method: 'POST', json: { inputData: {} } });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('failed');
    expect(res.body.error.message).toBe('it broke');
  });

  it('streams a run as record-separated chunks, with stepName and a stepCallId shared by start and result', async () => {
    const res = await mastra(h, '/workflows/add/stream?runId=stream-1', { method: 'POST', json: { inputData: { n: 5 } } });
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const list = chunks(res.text);
    expect(list.filter((c) => c.type !== 'workflow-step-output').map((c) => c.type)).toEqual([
      'workflow-start',
      'workflow-step-start',
      'workflow-step-result',
      'workflow-step-start',
      'workflow-step-result',
      'workflow-finish',
    ]);
    expect(list[0]!.payload).toEqual({ workflowId: 'add' });
    const [start, result] = [list[1]!, list[2]!];
    expect(start.payload.stepName).toBe('inc');
    expect(start.payload.stepCallId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.payload.stepCallId).toBe(start.payload.stepCallId);
    expect(list.at(-1)!.payload).toMatchObject({ workflowStatus: 'success', finalWorkflowResult: { n: 12 }, output: { usage: { totalTokens: 0, reasoningTokens: 0 } } });
    expect((await mastra(h, '/workflows/add/stream?runId=stream-1', { method: 'POST', json: { inputData: { n: 5 } } })).status).toBe(409);
    expect((await mastra(h, '/workflows/add/stream', { method: 'POST', json: { inputData: { n: 5 } } })).status).toBe(400);
  });

  it('closes a stream on suspension, resume-stream sends only the resumed part, observe replays it all', async () => {
    const first = chunks((await mastra(h, '/workflows/approve/stream?runId=susp-1', { method: 'POST', json: { inputData: { amount: 5 } } })).text);
    expect(first.at(-1)!.payload.workflowStatus).toBe('suspended');
    const run = await mastra(h, '/workflows/approve/runs/susp-1');
    expect(run.body).toMatchObject({ status: 'suspended', suspendedPaths: { ask: [0] }, steps: { ask: { status: 'suspended', suspendPayload: { question: 'approve 5?' } } } });
    const resumed = chunks((await mastra(h, '/workflows/approve/resume-stream?runId=susp-1', { method: 'POST', json: { step: 'ask', resumeData: { approved: true } } })).text);
    expect(resumed[0]!.type).toBe('workflow-start');
    expect(resumed.at(-1)!.payload).toMatchObject({ workflowStatus: 'success', finalWorkflowResult: { approved: true } });
    const replay = chunks((await mastra(h, '/workflows/approve/observe?runId=susp-1', { method: 'POST' })).text);
    expect(replay.map((c) => c.type)).toEqual([...first, ...resumed].map((c) => c.type));
    const tail = chunks((await mastra(h, `/workflows/approve/observe?runId=susp-1&offset=${first.length}`, { method: 'POST' })).text);
    expect(tail.map((c) => c.type)).toEqual(resumed.map((c) => c.type));
  });

  it('resume answers a message, resume-no-wait the run id, resume-async the result; 409 when not suspended', async () => {
    const start = async (runId: string) => mastra(h, `/workflows/approve/start?runId=${runId}`, { method: 'POST', json: { inputData: { amount: 1 } } });
    expect((await start('r-a')).body).toEqual({ message: 'Workflow run started' });
    await waitUntil(async () => (await mastra(h, '/workflows/approve/runs/r-a')).body.status === 'suspended', { message: 'r-a suspended' });
    expect((await mastra(h, '/workflows/approve/resume?runId=r-a', { method: 'POST', json: { resumeData: { approved: true } } })).body).toEqual({ message: 'Workflow run resumed' });
    await waitUntil(async () => (await mastra(h, '/workflows/approve/runs/r-a')).body.status === 'success', { message: 'r-a success' });
    expect((await mastra(h, '/workflows/approve/resume-async?runId=r-a', { method: 'POST', json: { resumeData: { approved: true } } })).status).toBe(409);
    await start('r-b');
    await waitUntil(async () => (await mastra(h, '/workflows/approve/runs/r-b')).body.status === 'suspended', { message: 'r-b suspended' });
    expect((await mastra(h, '/workflows/approve/resume-no-wait?runId=r-b', { method: 'POST', json: { step: 'ask', resumeData: { approved: false } } })).body).toEqual({ runId: 'r-b' });
    await start('r-c');
    await waitUntil(async () => (await mastra(h, '/workflows/approve/runs/r-c')).body.status === 'suspended', { message: 'r-c suspended' });
    const res = await mastra(h, '/workflows/approve/resume-async?runId=r-c', { method: 'POST', json: { step: 'ask', resumeData: { approved: true } } });
    expect(res.body).toMatchObject({ status: 'success', result: { approved: true } });
    expect((await mastra(h, '/workflows/approve/resume-async?runId=ghost', { method: 'POST', json: {} })).status).toBe(404);
  });

  it('cancels with a body-less POST (as client-js sends it) and shows the running step while it runs', async () => {
    await mastra(h, '/workflows/slow/start?runId=c-1', { method: 'POST', json: { inputData: { ms: 30_000 } } });
    await waitUntil(async () => (await mastra(h, '/workflows/slow/runs/c-1')).body.steps?.wait?.status === 'running', { message: 'wait running' });
    expect((await mastra(h, '/workflows/run-counts')).body.slow).toEqual({ running: 1, suspended: 0 });
    const res = await fetch(`${h.url}/api/workflows/slow/runs/c-1/cancel`, { method: 'POST' });
    expect(await res.json()).toEqual({ message: 'Workflow run cancelled' });
    await waitUntil(async () => (await mastra(h, '/workflows/slow/runs/c-1')).body.status === 'canceled', { message: 'c-1 canceled' });
    // A declared non-JSON type is still refused, and weft's own API keeps requiring JSON.
    expect((await fetch(`${h.url}/api/workflows/slow/runs/c-1/cancel`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '' })).status).toBe(415);
    expect((await fetch(`${h.url}/api/weft/workflows/slow/runs/c-1/cancel`, { method: 'POST' })).status).toBe(415);
  });

  it('lists runs with snapshots, Mastra\'s filters and paging (page/perPage or limit/offset)', async () => {
    for (const n of [1, 2, 3]) await mastra(h, `/workflows/add/start-async?runId=list-${n}`, { method: 'POST', json: { inputData: { n }, resourceId: n === 3 ? 'res-3' : undefined } });
    const all = await mastra(h, '/workflows/add/runs');
    expect(all.body.total).toBeGreaterThanOrEqual(3);
    expect(all.body.runs[0]).toMatchObject({ workflowName: 'add', runId: 'list-3', resourceId: 'res-3', snapshot: { status: 'success', result: { n: 8 }, context: { input: { n: 3 } }, stepExecutionPath: ['inc', 'double'] } });
    expect((await mastra(h, '/workflows/add/runs?perPage=1&page=1')).body.runs.map((r: any) => r.runId)).toEqual(['list-2']);
    expect((await mastra(h, '/workflows/add/runs?limit=1&offset=2')).body.runs.map((r: any) => r.runId)).toEqual(['list-1']);
    expect((await mastra(h, '/workflows/add/runs?resourceId=res-3')).body.total).toBe(1);
    expect((await mastra(h, '/workflows/add/runs?status=bailed')).body).toEqual({ runs: [], total: 0 });
    expect((await mastra(h, `/workflows/add/runs?fromDate=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).body.total).toBe(0);
    expect((await mastra(h, '/workflows/add/runs?status=done')).status).toBe(400);
    expect((await mastra(h, '/workflows/add/runs?perPage=0')).status).toBe(400);
  });

  it('gets a run by id with fields and withNestedWorkflows, and deletes it', async () => {
    await mastra(h, '/workflows/parent/start-async?runId=nest-1', { method: 'POST', json: { inputData: { n: 1 } } });
    const full = (await mastra(h, '/workflows/parent/runs/nest-1')).body;
    expect(Object.keys(full.steps).sort()).toEqual(['child', 'child.inc', 'dec', 'inc2']);
    expect(full.serializedStepGraph[0].step.component).toBe('WORKFLOW');
    const top = (await mastra(h, '/workflows/parent/runs/nest-1?withNestedWorkflows=false')).body;
    expect(Object.keys(top.steps).sort()).toEqual(['child', 'dec', 'inc2']);
    const only = (await mastra(h, '/workflows/parent/runs/nest-1?fields=result,steps')).body;
    expect(Object.keys(only).sort()).toEqual(['createdAt', 'result', 'runId', 'status', 'steps', 'updatedAt', 'workflowName']);
    expect((await mastra(h, '/workflows/parent/runs/nest-1?fields=nope')).status).toBe(400);
    expect((await mastra(h, '/workflows/parent/runs/nest-1?withNestedWorkflows=maybe')).status).toBe(400);
    expect((await mastra(h, '/workflows/add/runs/nest-1')).status).toBe(404);
    const del = await fetch(`${h.url}/api/workflows/parent/runs/nest-1`, { method: 'DELETE' });
    expect(await del.json()).toEqual({ message: 'Workflow run deleted' });
    const gone = await mastra(h, '/workflows/parent/runs/nest-1');
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ error: expect.any(String), code: 'RUN_NOT_FOUND' });
  });

  it('answers errors as { error: message, code } and unknown Mastra features with 404', async () => {
    expect((await mastra(h, '/workflows/nope')).body).toEqual({ error: expect.stringContaining('nope'), code: 'WORKFLOW_NOT_FOUND' });
    const bad = await mastra(h, '/workflows/add/start-async', { method: 'POST', json: { inputData: { n: 'x' } } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: 'n' }] });
    expect((await mastra(h, '/agents/a1')).body.code).toBe('NOT_FOUND');
    expect((await mastra(h, '/agents')).body).toEqual({});
    // Studio's request context travels as base64 JSON in the query; a long one is accepted there only.
    const context = Buffer.from(JSON.stringify({ note: 'x'.repeat(3000) })).toString('base64');
    expect((await mastra(h, `/workflows?requestContext=${encodeURIComponent(context)}`)).status).toBe(200);
    expect((await fetch(`${h.url}/api/weft/runs?requestContext=${encodeURIComponent(context)}`)).status).toBe(400);
    // weft's own API keeps its own error shape.
    expect((await fetch(`${h.url}/api/weft/workflows/nope`).then((r) => r.json())).error.code).toBe('WORKFLOW_NOT_FOUND');
  });

  it('keeps web pages of other origins out of body-less POSTs (their Origin or Sec-Fetch-Site gives them away)', async () => {
    const cross = await fetch(`${h.url}/api/workflows/add/start?runId=x-1`, { method: 'POST', headers: { origin: 'http://evil.example' } });
    expect(cross.status).toBe(403);
    const noOrigin = await fetch(`${h.url}/api/workflows/add/start?runId=x-2`, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } });
    expect(noOrigin.status).toBe(403);
    expect((await mastra(h, '/workflows/add/runs/x-1')).status).toBe(404);
  });

  it('runs perStep, time travel and restart through the engine; forEachIndex answers 501 NOT_IMPLEMENTED', async () => {
    // add: inc then double. perStep runs one step, then the run is paused.
    const paused = await mastra(h, '/workflows/add/start-async?runId=ps-1', { method: 'POST', json: { inputData: { n: 1 }, perStep: true } });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ status: 'paused', steps: { inc: { status: 'success', output: { n: 2 } } } });
    expect(paused.body.steps.double).toBeUndefined();
    // time travel to double with new input: inc stays as recorded, double runs on { n: 10 }.
    const tt = await mastra(h, '/workflows/add/time-travel-async?runId=ps-1', { method: 'POST', json: { step: 'double', inputData: { n: 10 } } });
    expect(tt.status).toBe(200);
    expect(tt.body).toMatchObject({ status: 'success', result: { n: 20 }, steps: { inc: { output: { n: 2 } }, double: { output: { n: 20 } } } });
    // a request without its required step is a 400; an unknown run a 404
    expect((await mastra(h, '/workflows/add/time-travel-async?runId=ps-1', { method: 'POST', json: {} })).status).toBe(400);
    expect((await mastra(h, '/workflows/add/restart?runId=ghost', { method: 'POST', json: {} })).status).toBe(404);
    // restart carries a run that is not settled on; a finished run is refused with weft's code
    const done = await mastra(h, '/workflows/add/restart-async?runId=ps-1', { method: 'POST', json: {} });
    expect(done.status).toBe(409);
    expect(done.body).toMatchObject({ code: 'RUN_CONFLICT' });
    const all = await mastra(h, '/workflows/add/restart-all-active-workflow-runs-async', { method: 'POST', json: {} });
    expect(all.status).toBe(200);
    const fe = await mastra(h, '/workflows/approve/resume-async?runId=ps-1', { method: 'POST', json: { forEachIndex: 0 } });
    expect(fe.status).toBe(501);
    expect(fe.body).toMatchObject({ code: 'NOT_IMPLEMENTED' });
  });
});

describe('mastraApiPrefix', () => {
  it('moves the protocol to another prefix, keeping weft\'s API at /api/weft', async () => {
    const h = await startHarness({ mastraApiPrefix: '/mastra/api/' });
    try {
      expect(Object.keys((await fetch(`${h.url}/mastra/api/workflows`).then((r) => r.json())) as object)).toContain('add');
      expect((await fetch(`${h.url}/api/workflows`)).status).toBe(404);
      expect((await h.api('/workflows')).body.workflows.length).toBeGreaterThan(0);
      // The guards cover the new prefix too: a foreign origin is refused.
      expect((await fetch(`${h.url}/mastra/api/workflows`, { headers: { origin: 'http://evil.example' } })).status).toBe(403);
    } finally {
      await h.close();
    }
  });

  it('turns the protocol off with false, and refuses prefixes that are not paths or lie in weft\'s API', async () => {
    const h = await startHarness({ mastraApiPrefix: false });
    try {
      expect((await fetch(`${h.url}/api/workflows`)).status).toBe(404);
      expect((await h.api('/runs')).status).toBe(200);
    } finally {
      await h.close();
    }
    for (const bad of ['/', 'api', '/api/weft', '/api/weft/x', '/a?b', 42]) {
      expect(() => createApp(new Weft({ store: memoryStore(), worker: false }), { mastraApiPrefix: bad as string }), String(bad)).toThrow(/mastraApiPrefix/);
    }
  });
});
