import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, until, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ maxBodyBytes: 64 * 1024 });
});
afterAll(async () => {
  await h.close();
});

async function runCount(): Promise<number> {
  return (await h.store.listRuns({ perPage: 1 })).total;
}

describe('GET /api/weft/workflows', () => {
  it('lists every workflow with its step graph', async () => {
    const { status, body } = await h.api('/workflows');
    expect(status).toBe(200);
    expect(body.workflows.map((w: { key: string }) => w.key)).toEqual(['add', 'approve', 'slow', 'fails', 'html']);
    const add = body.workflows[0];
    expect(add.stepGraph).toEqual([
      { type: 'step', step: { id: 'inc' } },
      { type: 'step', step: { id: 'double' } },
    ]);
  });

  it('describes one workflow, and 404s an unknown one', async () => {
    expect((await h.api('/workflows/approve')).body.stepGraph[0].step.id).toBe('ask');
    const res = await h.api('/workflows/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('WORKFLOW_NOT_FOUND');
  });

  it('lists the versions of a workflow with their unfinished runs (the dashboard\'s drain view)', async () => {
    const before = (await h.api('/workflows/approve/versions')).body.versions;
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({ version: null, registered: true, fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const started = await h.api('/workflows/approve/runs', { method: 'POST', json: { inputData: { amount: 5 } } });
    expect(started.status).toBe(202);
    await until(
      () => h.api('/workflows/approve/versions'),
      (r) => r.body.versions[0].unfinishedRuns === before[0].unfinishedRuns + 1,
    );
    expect((await h.api('/workflows/approve')).body.fingerprint).toBe(before[0].fingerprint);
    expect((await h.api(`/workflows/approve/runs/${started.body.runId}`)).body.fingerprint ?? (await h.api(`/runs/${started.body.runId}`)).body.fingerprint).toBe(before[0].fingerprint);
    expect((await h.api('/workflows/nope/versions')).status).toBe(404);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await h.api('/nothing/here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});

describe('POST /api/weft/workflows/:id/runs', () => {
  it('starts durably: 202 with the run id at once, then the run finishes', async () => {
    const res = await h.api('/workflows/add/runs', { method: 'POST', json: { inputData: { n: 2 } } });
    expect(res.status).toBe(202);
    expect(typeof res.body.runId).toBe('string');
    const done = await until(
      () => h.api(`/workflows/add/runs/${res.body.runId}`),
      (r) => r.body.result.status === 'success',
    );
    expect(done.body.result.result).toEqual({ n: 6 });
    expect(done.body.view.workflowName).toBe('add');
    expect(done.body.view.serializedStepGraph).toHaveLength(2);
  });

  it('takes an idempotencyKey: a repeated start answers with the run of the first start', async () => {
    const before = await runCount();
    const first = await h.api('/workflows/add/runs', { method: 'POST', json: { inputData: { n: 2 }, idempotencyKey: 'http-order-1' } });
    const again = await h.api('/workflows/add/runs', { method: 'POST', json: { inputData: { n: 5 }, idempotencyKey: 'http-order-1' } });
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.body.runId).toBe(first.body.runId);
    expect(await runCount()).toBe(before + 1);
    const bad = await h.api('/workflows/add/runs', { method: 'POST', json: { inputData: { n: 2 }, idempotencyKey: 7 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_ARGUMENT');
    await until(
      () => h.api(`/workflows/add/runs/${first.body.runId}`),
      (r) => r.body.result.status === 'success',
    );
  });

  it('starts and waits with ?wait=true', async () => {
    const res = await h.api('/workflows/add/runs?wait=true', { method: 'POST', json: { inputData: { n: 1 }, runId: 'wait-1', resourceId: 'user-1' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'success', runId: 'wait-1', result: { n: 4 } });
    expect(res.body.steps.inc.status).toBe('success');
  });

  it('is idempotent on runId', async () => {
    const before = await runCount();
    const res = await h.api('/workflows/add/runs?wait=true', { method: 'POST', json: { inputData: { n: 1 }, runId: 'wait-1' } });
    expect(res.body.runId).toBe('wait-1');
    expect(await runCount()).toBe(before);
  });

  it('rejects input that fails the schema with 400 VALIDATION_FAILED and issues, storing nothing', async () => {
    const before = await runCount();
    const res = await h.api('/workflows/add/runs', { method: 'POST', json: { inputData: { n: 'two' }, runId: 'bad-input' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.issues[0].path).toBe('n');
    expect(await runCount()).toBe(before);
    expect(await h.store.loadRun('bad-input')).toBeNull();
    expect((await h.api('/workflows/add/runs/bad-input')).status).toBe(404);
  });

  it('rejects malformed JSON with 400 BAD_JSON, storing nothing', async () => {
    const before = await runCount();
    const res = await h.api('/workflows/add/runs', { method: 'POST', body: '{"inputData": {"n": 1', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_JSON');
    expect(await runCount()).toBe(before);
  });

  it('rejects wrong types for options and unknown fields with 400 INVALID_ARGUMENT', async () => {
    const before = await runCount();
    for (const json of [{ inputData: { n: 1 }, runId: 42 }, { inputData: { n: 1 }, requestContext: 'x' }, { input: { n: 1 } }, [1, 2], 'text', { inputData: { n: 1 }, traceId: 'not-hex!' }]) {
      const res = await h.api('/workflows/add/runs', { method: 'POST', json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(res.body.error.code).toBe('INVALID_ARGUMENT');
    }
    expect(await runCount()).toBe(before);
  });

  it('rejects bodies over the limit with 413 BODY_TOO_LARGE, storing nothing', async () => {
    const before = await runCount();
    const big = { inputData: { n: 1, pad: 'x'.repeat(200 * 1024) } };
    const res = await h.api('/workflows/add/runs', { method: 'POST', json: big });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('BODY_TOO_LARGE');
    // Without a content-length (chunked), the limit is enforced while reading.
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 100; i++) c.enqueue(new TextEncoder().encode('x'.repeat(4096)));
        c.close();
      },
    });
    const res2 = await fetch(`${h.url}/api/weft/workflows/add/runs`, { method: 'POST', body: chunks, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
    expect(res2.status).toBe(413);
    expect(await runCount()).toBe(before);
  });

  it('rejects a non-JSON content type with 415', async () => {
    const res = await h.api('/workflows/add/runs', { method: 'POST', body: 'n=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('404s starting an unknown workflow', async () => {
    const res = await h.api('/workflows/nope/runs', { method: 'POST', json: {} });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('WORKFLOW_NOT_FOUND');
  });

  it('reports a failed run as a result (200), not as an HTTP error', async () => {
    const res = await h.api('/workflows/fails/runs?wait=true', { method: 'POST', json: { inputData: {} } });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('failed');
    expect(res.body.error).toMatchObject({ message: 'it broke', code: 'NON_RETRYABLE' });
  });

  it("sends a step's error in its plain JSON shape, without the stack, and the input under steps.input", async () => {
    const res = await h.api('/workflows/fails/runs?wait=true', { method: 'POST', json: { inputData: {} } });
    expect(res.body.steps.input).toEqual({});
    expect(res.body.steps.boom.error).toEqual({ message: 'it broke', name: 'NonRetryableError', code: 'NON_RETRYABLE' });
  });
});

describe('POST /api/weft/workflows/:id/runs/batch', () => {
  it('starts every good item; a refused item gets its own error body in its place', async () => {
    const before = await runCount();
    const items = [
      { inputData: { n: 1 }, runId: 'batch-1', resourceId: 'batcher' },
      { inputData: { n: 'x' }, runId: 'batch-bad-input' },
      { inputData: { n: 2 }, input: 'typo' },
      'not an object',
      { inputData: { n: 3 }, runId: 'batch-2', metadata: { from: 'batch' } },
    ];
    const res = await h.api('/workflows/add/runs/batch', { method: 'POST', json: { items, concurrency: 2 } });
    expect(res.status).toBe(200);
    expect(res.body.started).toBe(2);
    expect(res.body.failed).toBe(3);
    expect(res.body.results.map((r: { ok: boolean }) => r.ok)).toEqual([true, false, false, false, true]);
    expect(res.body.results[0]).toEqual({ ok: true, runId: 'batch-1' });
    expect(res.body.results[1]).toMatchObject({ ok: false, runId: 'batch-bad-input', error: { code: 'VALIDATION_FAILED' } });
    expect(res.body.results[1].error.issues[0].path).toBe('n');
    expect(res.body.results[2].error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(res.body.results[2].error.message).toContain('"input"');
    expect(res.body.results[3].error.code).toBe('INVALID_ARGUMENT');
    const done = await until(
      () => h.api('/workflows/add/runs/batch-2'),
      (r) => r.body.result?.status === 'success',
    );
    expect(done.body.result.result).toEqual({ n: 8 });
    expect(await runCount()).toBe(before + 2);
  });

  it('refuses a malformed request as a whole', async () => {
    expect((await h.api('/workflows/add/runs/batch', { method: 'POST', json: { items: {} } })).body.error.code).toBe('INVALID_ARGUMENT');
    expect((await h.api('/workflows/add/runs/batch', { method: 'POST', json: { items: [], extra: 1 } })).body.error.code).toBe('INVALID_ARGUMENT');
    expect((await h.api('/workflows/add/runs/batch', { method: 'POST', json: { items: [], concurrency: 0 } })).status).toBe(400);
    expect((await h.api('/workflows/nope/runs/batch', { method: 'POST', json: { items: [] } })).status).toBe(404);
    const empty = await h.api('/workflows/add/runs/batch', { method: 'POST', json: { items: [] } });
    expect(empty.body).toEqual({ results: [], started: 0, failed: 0 });
  });
});
