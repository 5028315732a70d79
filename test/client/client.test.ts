import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, WeftError, WeftRemoteError, type StreamEvent } from '../../src/client/index.js';
import type { fixtures } from '../server/fixtures.js';
import { startHarness, type Harness } from '../server/harness.js';

let h: Harness;
let client: ReturnType<typeof createClient<typeof fixtures>>;
beforeAll(async () => {
  h = await startHarness({ token: 'tok' });
  client = createClient<typeof fixtures>({ baseUrl: h.url, token: 'tok' });
});
afterAll(async () => {
  await h.close();
});

async function collect(it: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('client: workflows and runs', () => {
  it('lists and describes workflows', async () => {
    const list = await client.listWorkflows();
    expect(list.map((w) => w.key)).toContain('approve');
    expect((await client.getWorkflow('add').describe()).stepGraph).toHaveLength(2);
  });

  it('start waits for the result; startAsync returns the id at once', async () => {
    const wf = client.getWorkflow('add');
    const run = await wf.createRun({ resourceId: 'r1' });
    const result = await run.start({ inputData: { n: 3 } });
    expect(result.status).toBe('success');
    if (result.status === 'success') expect(result.result.n).toBe(8);
    const run2 = await wf.createRun({ runId: 'client-async' });
    expect(await run2.startAsync({ inputData: { n: 1 } })).toEqual({ runId: 'client-async' });
    const events = await collect(run2.watch());
    expect(events.at(-1)?.type).toBe('workflow-finish');
    expect((await run2.getWorkflowRunExecutionResult())?.status).toBe('success');
    expect((await wf.getWorkflowRunExecutionResult('client-async'))?.status).toBe('success');
  });

  it('startMany starts runs in one request, with per-item results', async () => {
    const wf = client.getWorkflow('add');
    const results = await wf.startMany([{ inputData: { n: 1 }, runId: 'client-many-1' }, { inputData: { n: 'x' as never } }, { inputData: { n: 2 }, runId: 'client-many-2' }], { concurrency: 2 });
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const bad = results[1]!;
    if (!bad.ok) expect(bad.error.code).toBe('VALIDATION_FAILED');
    expect(results[2]).toEqual({ ok: true, runId: 'client-many-2' });
    const run = await wf.createRun({ runId: 'client-many-2' });
    await collect(run.watch());
    expect(await run.getWorkflowRunExecutionResult()).toMatchObject({ status: 'success', result: { n: 6 } });
    await expect(wf.startMany({} as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('streams a run: events (with ids) and the result', async () => {
    const run = await client.getWorkflow('add').createRun();
    const { fullStream, result, runId } = run.stream({ inputData: { n: 2 } });
    const events = await collect(fullStream);
    expect(events.map((e) => e.type)).toEqual(['workflow-start', 'workflow-step-start', 'workflow-step-result', 'workflow-step-start', 'workflow-step-output', 'workflow-step-result', 'workflow-finish']);
    expect(events.every((e) => e.runId === runId && typeof e.id === 'string')).toBe(true);
    expect(await result).toMatchObject({ status: 'success', result: { n: 6 } });
  });

  it('stream.result settles even if nobody reads fullStream', async () => {
    const run = await client.getWorkflow('add').createRun();
    const { result } = run.stream({ inputData: { n: 0 } });
    expect((await result).status).toBe('success');
  });

  it('reconnects with Last-Event-ID when the connection drops, missing and repeating nothing', async () => {
    let sseConnections = 0;
    const lastIds: (string | null)[] = [];
    // A fetch that cuts the first event stream after the chunk with the run's start.
    const flaky: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const url = String(input);
      if (!url.endsWith('/events')) return res;
      sseConnections++;
      lastIds.push(new Headers(init?.headers).get('last-event-id'));
      if (sseConnections > 1 || !res.body) return res;
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          const { done, value } = await reader.read();
          if (done) return c.close();
          c.enqueue(value);
          // Cut after the run's start: its step (300 ms) has not committed yet. (The step's own events
          // commit with the run's outcome, the step being the workflow's last, so they arrive together.)
          if (decoder.decode(value).includes('workflow-start')) {
            await reader.cancel();
            c.error(new Error('connection reset'));
          }
        },
      });
      return new Response(body, { headers: res.headers, status: res.status });
    };
    const flakyClient = createClient<typeof fixtures>({ baseUrl: h.url, token: 'tok', fetch: flaky });
    const run = await flakyClient.getWorkflow('slow').createRun();
    await run.startAsync({ inputData: { ms: 300 } });
    const events = await collect(run.watch({ reconnectDelayMs: 10 }));
    expect(sseConnections).toBeGreaterThanOrEqual(2);
    expect(lastIds[1]).toMatch(/^\d+:\d+$/);
    expect(events.map((e) => e.type)).toEqual(['workflow-start', 'workflow-step-start', 'workflow-step-result', 'workflow-finish']);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('resume and resumeAsync', async () => {
    const wf = client.getWorkflow('approve');
    const run = await wf.createRun();
    const suspended = await run.start({ inputData: { amount: 5 } });
    expect(suspended.status).toBe('suspended');
    if (suspended.status === 'suspended') expect(suspended.suspendPayload.ask).toEqual({ question: 'approve 5?' });
    expect((await run.resume({ step: 'ask', resumeData: { approved: true } })).status).toBe('success');
    const run2 = await wf.createRun();
    await run2.start({ inputData: { amount: 6 } });
    expect(await run2.resumeAsync({ resumeData: { approved: false } })).toEqual({ runId: run2.runId });
    const events = await collect(run2.watch());
    expect(events.at(-1)?.payload.workflowStatus).toBe('success');
  });

  it('cancel and retry', async () => {
    const run = await client.getWorkflow('slow').createRun();
    await run.startAsync({ inputData: { ms: 20_000 } });
    expect(await run.cancel()).toEqual({ runId: run.runId, status: 'canceled' });
    const failed = await client.getWorkflow('fails').createRun();
    expect((await failed.start({ inputData: {} })).status).toBe('failed');
    if (typeof (h.weft as unknown as { retryRun?: unknown }).retryRun === 'function') {
      expect(await failed.retry()).toEqual({ runId: failed.runId });
    } else {
      await expect(failed.retry()).rejects.toMatchObject({ code: 'NOT_IMPLEMENTED', status: 501 });
    }
  });

  it('lists, views and deletes runs', async () => {
    const wf = client.getWorkflow('add');
    const { runs, total } = await wf.listWorkflowRuns({ perPage: 2, status: ['success'] });
    expect(runs).toHaveLength(2);
    expect(total).toBeGreaterThanOrEqual(2);
    expect((await client.listRuns({ workflowId: 'approve' })).runs.every((r) => r.workflowId === 'approve')).toBe(true);
    expect((await client.listRuns({ fromDate: new Date(Date.now() + 60_000) })).total).toBe(0);
    const runId = runs[0]!.runId;
    expect(await client.getRun(runId)).toMatchObject({ runId, workflowId: 'add', status: 'success' });
    expect(await client.getRun('ghost')).toBeNull();
    const view = await wf.getWorkflowRunById(runId);
    expect(view?.serializedStepGraph).toHaveLength(2);
    expect(await wf.deleteWorkflowRunById(runId)).toBe(true);
    expect(await wf.getWorkflowRunById(runId)).toBeNull();
    expect(await wf.getWorkflowRunExecutionResult(runId)).toBeNull();
    expect(await wf.deleteWorkflowRunById(runId)).toBe(false);
  });
});

describe('client: request headers', () => {
  it('declares content-type: application/json on every state-changing request, body or not', async () => {
    const seen: { method: string; type: string | null }[] = [];
    const recording = createClient<typeof fixtures>({
      baseUrl: h.url,
      token: 'tok',
      fetch: async (input, init) => {
        seen.push({ method: init?.method ?? 'GET', type: new Headers(init?.headers).get('content-type') });
        return fetch(input, init);
      },
    });
    const wf = recording.getWorkflow('slow');
    const run = await wf.createRun();
    await run.startAsync({ inputData: { ms: 20_000 } });
    await run.cancel();
    await run.retry().catch(() => undefined); // 409 (not failed) or 501: the request is what matters
    expect(await wf.deleteWorkflowRunById(run.runId)).toBe(true);
    const unsafe = seen.filter((r) => r.method !== 'GET');
    expect(unsafe.map((r) => r.method)).toEqual(['POST', 'POST', 'POST', 'DELETE']);
    expect(unsafe.every((r) => r.type === 'application/json')).toBe(true);
  });
});

describe('client: errors', () => {
  it("gives a failed step's error back as an Error instance, as the library does", async () => {
    const run = await client.getWorkflow('fails').createRun();
    const result = await run.start({ inputData: {} });
    expect(result.status).toBe('failed');
    const error = result.steps.boom?.error;
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ message: 'it broke', name: 'NonRetryableError', code: 'NON_RETRYABLE' });
    expect((await run.getWorkflowRunExecutionResult())?.steps.boom?.error).toBeInstanceOf(Error);
  });

  it('rethrows server errors as WeftError with the same code and issues', async () => {
    const run = await client.getWorkflow('add').createRun();
    const err = await run.start({ inputData: { n: 'x' as unknown as number } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeftError);
    expect(err).toBeInstanceOf(WeftRemoteError);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect((err as WeftRemoteError).issues?.[0]?.path).toBe('n');
    await expect((await client.getWorkflow('approve').createRun({ runId: 'ghost' })).resume({ resumeData: {} })).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    await expect(createClient({ baseUrl: h.url, token: 'tok' }).getWorkflow('nope').describe()).rejects.toMatchObject({ code: 'WORKFLOW_NOT_FOUND' });
  });

  it('reports a missing token and an unreachable server by code', async () => {
    await expect(createClient({ baseUrl: h.url }).listWorkflows()).rejects.toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    await expect(createClient({ baseUrl: 'http://127.0.0.1:1' }).listWorkflows()).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE' });
    expect(() => createClient({ baseUrl: '' })).toThrow(WeftError);
    await expect(client.getWorkflow('add').createRun({ runId: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('accepts a base URL ending in /api', async () => {
    const c = createClient({ baseUrl: `${h.url}/api/`, token: 'tok' });
    expect((await c.listWorkflows()).length).toBe(5);
  });
});
