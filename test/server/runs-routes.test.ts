import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, until, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  for (let i = 0; i < 3; i++) await h.api('/workflows/add/runs?wait=true', { method: 'POST', json: { inputData: { n: i }, resourceId: i === 0 ? 'alice' : 'bob' } });
  await h.api('/workflows/fails/runs?wait=true', { method: 'POST', json: { inputData: {} } });
});
afterAll(async () => {
  await h.close();
});

const post = (path: string, json: unknown = {}) => h.api(path, { method: 'POST', json });

async function suspendedRun(): Promise<string> {
  const { body } = await post('/workflows/approve/runs?wait=true', { inputData: { amount: 10 } });
  expect(body.status).toBe('suspended');
  return body.runId;
}

describe('GET /api/weft/runs', () => {
  it('lists runs of all workflows, newest first, with total', async () => {
    const { status, body } = await h.api('/runs');
    expect(status).toBe(200);
    expect(body.total).toBeGreaterThanOrEqual(4);
    expect(body.runs[0].workflowId).toBe('fails');
    expect(Date.parse(body.runs[0].createdAt)).toBeGreaterThan(0);
  });

  it('filters by workflow, status, resource and time, and paginates', async () => {
    expect((await h.api('/runs?workflowId=add')).body.total).toBe(3);
    expect((await h.api('/runs?status=failed')).body.runs.every((r: { status: string }) => r.status === 'failed')).toBe(true);
    expect((await h.api('/runs?status=failed,success')).body.total).toBeGreaterThanOrEqual(4);
    expect((await h.api('/runs?resourceId=alice')).body.total).toBe(1);
    expect((await h.api(`/runs?from=${new Date(Date.now() + 60_000).toISOString()}`)).body.total).toBe(0);
    expect((await h.api(`/runs?to=${Date.now() + 60_000}&workflowId=add`)).body.total).toBe(3);
    const page = await h.api('/runs?workflowId=add&perPage=2&page=1');
    expect(page.body).toMatchObject({ total: 3, page: 1, perPage: 2 });
    expect(page.body.runs).toHaveLength(1);
    expect((await h.api('/workflows/add/runs?perPage=2')).body.runs).toHaveLength(2);
  });

  it('looks a run up by id alone', async () => {
    const first = (await h.api('/runs?workflowId=fails')).body.runs[0];
    expect((await h.api(`/runs/${first.runId}`)).body).toEqual(first);
    const res = await h.api('/runs/ghost');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('RUN_NOT_FOUND');
  });

  it('rejects bad filters with 400', async () => {
    for (const q of ['status=done', 'page=-1', 'perPage=0', 'perPage=5000', 'from=yesterday', 'colour=red']) {
      const res = await h.api(`/runs?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.error.code).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('GET/DELETE /api/weft/workflows/:id/runs/:runId', () => {
  it('404s unknown runs and runs of another workflow', async () => {
    const unknown = await h.api('/workflows/add/runs/does-not-exist');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('RUN_NOT_FOUND');
    const failed = (await h.api('/runs?workflowId=fails')).body.runs[0].runId;
    expect((await h.api(`/workflows/add/runs/${failed}`)).status).toBe(404);
  });

  it('deletes a run', async () => {
    const { body } = await post('/workflows/add/runs?wait=true', { inputData: { n: 9 } });
    const del = await h.api(`/workflows/add/runs/${body.runId}`, { method: 'DELETE' });
    expect(del.body).toEqual({ runId: body.runId, deleted: true });
    expect((await h.api(`/workflows/add/runs/${body.runId}`)).status).toBe(404);
  });
});

describe('POST .../resume', () => {
  it('resumes a suspended run durably (202), and it finishes', async () => {
    const runId = await suspendedRun();
    const res = await post(`/workflows/approve/runs/${runId}/resume`, { step: 'ask', resumeData: { approved: true } });
    expect(res.status).toBe(202);
    const done = await until(() => h.api(`/workflows/approve/runs/${runId}`), (r) => r.body.result.status === 'success');
    expect(done.body.result.result).toEqual({ approved: true });
  });

  it('resumes and waits with ?wait=true (step auto-detected)', async () => {
    const runId = await suspendedRun();
    const res = await post(`/workflows/approve/runs/${runId}/resume?wait=true`, { resumeData: { approved: false } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'success', result: { approved: false } });
  });

  it('rejects invalid resume data with 400 and leaves the run suspended', async () => {
    const runId = await suspendedRun();
    const res = await post(`/workflows/approve/runs/${runId}/resume`, { resumeData: { approved: 'yes' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect((await h.store.loadRun(runId))?.status).toBe('suspended');
    const bad = await post(`/workflows/approve/runs/${runId}/resume`, { step: 7 });
    expect(bad.status).toBe(400);
    const unknownField = await post(`/workflows/approve/runs/${runId}/resume`, { data: {} });
    expect(unknownField.body.error.code).toBe('INVALID_ARGUMENT');
  });

  it('409s resuming a run that is not suspended, or an unknown step', async () => {
    const finished = (await h.api('/runs?workflowId=add')).body.runs[0].runId;
    const res = await post(`/workflows/add/runs/${finished}/resume`, { resumeData: {} });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('RUN_NOT_SUSPENDED');
    const runId = await suspendedRun();
    const wrongStep = await post(`/workflows/approve/runs/${runId}/resume`, { step: 'nope', resumeData: { approved: true } });
    expect(wrongStep.status).toBe(409);
    expect(wrongStep.body.error.code).toBe('STEP_NOT_SUSPENDED');
  });

  it('takes forEachIndex (checked like the library checks it)', async () => {
    const runId = await suspendedRun();
    const bad = await post(`/workflows/approve/runs/${runId}/resume`, { forEachIndex: 'first', resumeData: { approved: true } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_ARGUMENT');
    // The run has no suspended foreach: there is no item 0 to resume.
    const none = await post(`/workflows/approve/runs/${runId}/resume`, { forEachIndex: 0, resumeData: { approved: true } });
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe('STEP_NOT_SUSPENDED');
  });

  it('404s resuming an unknown run', async () => {
    const res = await post('/workflows/approve/runs/ghost/resume', { resumeData: { approved: true } });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('RUN_NOT_FOUND');
  });
});

describe('POST .../cancel', () => {
  it('cancels a running run', async () => {
    const { body } = await post('/workflows/slow/runs', { inputData: { ms: 20_000 } });
    await until(() => h.store.loadRun(body.runId), (r) => r?.status === 'running');
    const res = await post(`/workflows/slow/runs/${body.runId}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ runId: body.runId, status: 'canceled' });
    const after = await h.api(`/workflows/slow/runs/${body.runId}`);
    expect(after.body.result.status).toBe('canceled');
  });

  it('leaves a finished run as it was, and 404s an unknown run', async () => {
    const finished = (await h.api('/runs?workflowId=add&status=success')).body.runs[0].runId;
    expect((await post(`/workflows/add/runs/${finished}/cancel`)).body.status).toBe('success');
    const res = await post('/workflows/slow/runs/ghost/cancel');
    expect(res.status).toBe(404);
  });
});

describe('POST .../retry', () => {
  it('retries a failed run when the engine supports it, else answers 501 NOT_IMPLEMENTED', async () => {
    const failed = (await h.api('/runs?workflowId=fails')).body.runs[0].runId;
    const res = await post(`/workflows/fails/runs/${failed}/retry`);
    if (typeof (h.weft as unknown as { retryRun?: unknown }).retryRun === 'function') {
      expect(res.status).toBe(202);
    } else {
      expect(res.status).toBe(501);
      expect(res.body.error.code).toBe('NOT_IMPLEMENTED');
    }
    expect((await post('/workflows/fails/runs/ghost/retry')).status).toBe(404);
  });
});
