import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../server/harness.js';
import { waitUntil } from '../support/wait.js';
import { execFile } from 'node:child_process';
import { CLI, ensureBuilt, weft } from './helpers.js';

let h: Harness;
let url: string;
beforeAll(async () => {
  ensureBuilt();
  h = await startHarness();
  url = h.url;
}, 120_000);
afterAll(async () => {
  await h?.close();
});

async function startSlow(n: number, metadata: Record<string, unknown> = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const run = await h.weft.getWorkflow('slow').createRun({ resourceId: `cust-${i % 3}` });
    await run.startAsync({ inputData: { ms: 60_000 }, metadata });
    ids.push(run.runId);
  }
  return ids;
}

const total = async (workflowId: string, status: string) => (await h.weft.listRuns({ workflowId, status: status as 'running' })).total;

describe('bulk actions from the CLI and over HTTP', { timeout: 60_000 }, () => {
  it('counts with --dry-run, then cancels every running run of a workflow', async () => {
    await startSlow(6, { team: 'a' });
    await waitUntil(async () => (await total('slow', 'running')) === 6, { message: 'six running runs' });

    const dry = await weft(['runs', 'cancel', '--status', 'running', '--workflow', 'slow', '--dry-run', '--url', url]);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe('6 run(s) would be canceled (6 matched the filter, 0 not in a state to cancel)\n');
    expect(await total('slow', 'running')).toBe(6);

    const done = await weft(['runs', 'cancel', '--status', 'running', '--workflow', 'slow', '--meta', 'team=a', '--batch-size', '4', '--url', url, '--json']);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ action: 'cancel', matched: 6, processed: 6, succeeded: 6, failed: 0, done: true });
    expect(await total('slow', 'canceled')).toBe(6);
  });

  it('resumes by resource with --data, reports per-run failures with exit 1, and deletes by filter', async () => {
    const approve = h.weft.getWorkflow('approve');
    for (let i = 0; i < 4; i++) {
      const run = await approve.createRun({ resourceId: i < 2 ? 'r-yes' : 'r-bad' });
      await run.startAsync({ inputData: { amount: i } });
    }
    await waitUntil(async () => (await total('approve', 'suspended')) >= 4, { message: 'four suspended approvals' });

    const ok = await weft(['runs', 'resume', '--resource', 'r-yes', '--data', '{"approved":true}', '--url', url]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('resume: 2 of 2 looked at · 2 resumed · 0 skipped · 0 failed\n');

    const bad = await weft(['runs', 'resume', '--resource', 'r-bad', '--data', '{"approved":"maybe"}', '--url', url]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^resume: 2 of 2 looked at · 0 resumed · 0 skipped · 2 failed\n {2}\S+: VALIDATION_FAILED: /);

    const gone = await weft(['runs', 'delete', '--workflow', 'approve', '--resource', 'r-bad', '--url', url]);
    expect(gone.code).toBe(0);
    expect(gone.stdout).toContain('2 deleted');
    expect((await h.weft.listRuns({ resourceId: 'r-bad' })).total).toBe(0);
  });

  it('shows a progress line on a terminal (a pseudo-terminal from script(1)); piped, stderr stays empty (first test)', async () => {
    await startSlow(4, { team: 'tty' });
    await waitUntil(async () => (await total('slow', 'running')) === 4, { message: 'four running runs' });
    const cmd = `${process.execPath} ${CLI} runs cancel --workflow slow --meta team=tty --batch-size 2 --url ${url}`;
    const out = await new Promise<string>((done, fail) =>
      execFile('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, NO_COLOR: '1', WEFT_URL: '', WEFT_TOKEN: '' }, timeout: 20_000 }, (err, stdout) => (err ? fail(err) : done(stdout))),
    );
    // The progress line rewrites itself (carriage return, clear line) and is cleared before the summary.
    expect(out).toContain('\r\u001b[2Kcancel: counting…');
    const last = out.split('\u001b[2K').pop() ?? '';
    expect(last.trim()).toBe('cancel: 4 of 4 looked at · 4 canceled · 0 skipped · 0 failed');
  });

  it('refuses mistakes before sending anything', async () => {
    const both = await weft(['runs', 'cancel', 'some-run', '--status', 'running', '--url', url]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--status select runs by filter; give a run id or filters, not both');
    const status = await weft(['runs', 'retry', '--status', 'bogus', '--url', url]);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('unknown status "bogus"');
    const meta = await weft(['runs', 'cancel', '--meta', 'novalue', '--url', url]);
    expect(meta.code).toBe(2);
    const del = await weft(['runs', 'delete', '--dry-run', '--url', url]);
    // An unfiltered bulk delete is refused by the engine (INVALID_ARGUMENT, exit 1).
    expect(del.code).toBe(1);
    expect(del.stderr).toContain('a bulk delete needs a filter');
  });

  it('runs a job over HTTP: 202 with an id, progress, stop, 404 for an unknown job', async () => {
    const ids = await startSlow(5, { team: 'http' });
    await waitUntil(async () => (await h.weft.listRuns({ workflowId: 'slow', status: 'running' })).total === 5, { message: 'five running runs' });
    const started = await h.api('/runs/bulk', { method: 'POST', json: { action: 'cancel', filter: { runIds: ids.slice(0, 3), fromDate: '2000-01-01T00:00:00Z' } } });
    expect(started.status).toBe(202);
    expect(started.body.id).toMatch(/^bulk-/);
    const finished = await waitUntil(
      async () => {
        const r = await h.api(`/runs/bulk/${started.body.id}`);
        return r.body.progress.done ? r.body : null;
      },
      { message: 'the job to finish' },
    );
    expect(finished.progress).toMatchObject({ matched: 3, succeeded: 3 });
    expect((await h.api(`/runs/bulk/${started.body.id}/stop`, { method: 'POST' })).status).toBe(200);
    expect((await h.api('/runs/bulk/bulk-nope')).body.error.code).toBe('BULK_NOT_FOUND');
    expect((await h.api('/runs/bulk', { method: 'POST', json: { action: 'cancel', colour: 'red' } })).status).toBe(400);
    expect((await h.api('/runs/bulk', { method: 'POST', json: { action: 'cancel', filter: { fromDate: 'yesterday' } } })).body.error.code).toBe('INVALID_ARGUMENT');
    const dry = await h.api('/runs/bulk', { method: 'POST', json: { action: 'cancel', dryRun: true, filter: { workflowId: 'slow', metadata: { team: 'http' } } } });
    expect(dry.status).toBe(200);
    expect(dry.body.progress).toMatchObject({ dryRun: true, succeeded: 2 });
  });
});
