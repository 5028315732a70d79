import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Weft, createStep, createWorkflow, memoryStore, postgresStore, sqliteStore, type BulkProgress } from '../../src/index.js';
import type { Store } from '../../src/store/types.js';
import { PG_URL, schemaFactory } from '../store/pg-helpers.js';
import { waitUntil } from '../support/wait.js';

const dirs: string[] = [];
const schemas = schemaFactory('bulk');
const wefts: Weft[] = [];

afterEach(async () => {
  await Promise.all(wefts.splice(0).map((w) => w.stop({ timeoutMs: 500 })));
});

afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  await schemas.dropAll(admin);
  await admin.end();
});

const STORES: { name: string; make: () => Store }[] = [
  { name: 'memory', make: () => memoryStore() },
  {
    name: 'sqlite',
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), 'weft-bulk-'));
      dirs.push(dir);
      return sqliteStore({ path: join(dir, 'weft.db') });
    },
  },
  { name: 'postgres', make: () => postgresStore({ connectionString: PG_URL, schema: schemas.next() }) },
];

/** Whether the `flaky` step fails; a test flips it to let retried runs succeed. */
const flaky = { failing: true };

function workflows() {
  const ask = createStep({
    id: 'ask',
    inputSchema: z.object({ n: z.number() }),
    outputSchema: z.object({ ok: z.boolean() }),
    resumeSchema: z.object({ ok: z.boolean() }),
    execute: async ({ resumeData, suspend }) => {
      if (!resumeData) return suspend({ why: 'approve' });
      return { ok: resumeData.ok };
    },
  });
  const approve = createWorkflow({ id: 'approve', inputSchema: z.object({ n: z.number() }), outputSchema: z.object({ ok: z.boolean() }) }).then(ask).commit();
  const fails = createWorkflow({ id: 'fails', inputSchema: z.object({ n: z.number() }), outputSchema: z.object({ n: z.number() }) })
    .then(
      createStep({
        id: 'flaky',
        inputSchema: z.object({ n: z.number() }),
        outputSchema: z.object({ n: z.number() }),
        execute: async ({ inputData }) => {
          if (flaky.failing) throw new Error('gateway timed out');
          return inputData;
        },
      }),
    )
    .commit();
  return { approve, fails };
}

async function startMany(weft: Weft, key: 'approve' | 'fails', n: number, meta: (i: number) => Record<string, unknown> = () => ({})): Promise<string[]> {
  const wf = weft.getWorkflow(key);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const run = await wf.createRun({ resourceId: i % 2 ? 'odd' : 'even' });
    await run.startAsync({ inputData: { n: i }, metadata: meta(i) });
    ids.push(run.runId);
  }
  return ids;
}

async function countBy(weft: Weft, workflowId: string, status: string): Promise<number> {
  return (await weft.listRuns({ workflowId, status: status as 'failed' })).total;
}

describe.each(STORES)('bulk actions on $name', ({ make }) => {
  it('resumes by metadata, retries failed runs, cancels and deletes by filter, with progress', async () => {
    flaky.failing = true;
    const weft = new Weft({ store: make(), workflows: workflows() });
    wefts.push(weft);
    await startMany(weft, 'approve', 12, (i) => ({ plan: i < 5 ? 'pro' : 'free' }));
    await startMany(weft, 'fails', 7);
    await waitUntil(async () => (await countBy(weft, 'approve', 'suspended')) === 12 && (await countBy(weft, 'fails', 'failed')) === 7, { message: 'runs to settle' });

    // A dry run counts and changes nothing.
    const dry = await weft.bulk({ action: 'resume', filter: { workflowId: 'approve', metadata: { plan: 'pro' } }, resumeData: { ok: true }, dryRun: true }).done;
    expect(dry).toMatchObject({ matched: 12, succeeded: 5, skipped: 7, failed: 0, done: true, dryRun: true });
    expect(await countBy(weft, 'approve', 'suspended')).toBe(12);

    // Resume the five "pro" runs, in batches of 2, watching progress.
    const seen: BulkProgress[] = [];
    const handle = weft.bulk({ action: 'resume', filter: { workflowId: 'approve', metadata: { plan: 'pro' } }, resumeData: { ok: true }, batchSize: 2 });
    handle.onProgress((p) => seen.push(p));
    const resumed = await handle.done;
    expect(resumed).toMatchObject({ matched: 12, processed: 12, succeeded: 5, failed: 0, skipped: 7, done: true });
    expect(seen.length).toBeGreaterThanOrEqual(6);
    expect(seen.map((p) => p.processed)).toEqual([...seen.map((p) => p.processed)].sort((a, b) => a - b));
    await waitUntil(async () => (await countBy(weft, 'approve', 'success')) === 5, { message: 'five resumed runs to finish' });
    expect(await countBy(weft, 'approve', 'suspended')).toBe(7);

    // Invalid resume data is a per-run failure with its code, not a crash of the bulk.
    const bad = await weft.bulk({ action: 'resume', filter: { workflowId: 'approve', resourceId: 'even' }, resumeData: { ok: 'yes' } }).done;
    expect(bad.failed).toBeGreaterThan(0);
    expect(bad.succeeded).toBe(0);
    expect(bad.errors[0]?.code).toBe('VALIDATION_FAILED');

    // Retry every failed run once the step works.
    flaky.failing = false;
    const retried = await weft.bulk({ action: 'retry', filter: { status: 'failed' } }).done;
    expect(retried).toMatchObject({ matched: 7, succeeded: 7, failed: 0 });
    await waitUntil(async () => (await countBy(weft, 'fails', 'success')) === 7, { message: 'retried runs to succeed' });

    // Cancel the suspended approvals of one resource, then delete every canceled run.
    const canceled = await weft.bulk({ action: 'cancel', filter: { workflowId: 'approve', resourceId: 'odd' } }).done;
    expect(canceled.succeeded).toBeGreaterThan(0);
    expect(await countBy(weft, 'approve', 'canceled')).toBe(canceled.succeeded);
    const deleted = await weft.bulk({ action: 'delete', filter: { status: 'canceled' } }).done;
    expect(deleted.succeeded).toBe(canceled.succeeded);
    expect(await countBy(weft, 'approve', 'canceled')).toBe(0);
  });

  it('stops after a batch and continues from its cursor; a selection acts on those runs only', async () => {
    const weft = new Weft({ store: make(), workflows: workflows() });
    wefts.push(weft);
    const ids = await startMany(weft, 'approve', 9);
    await waitUntil(async () => (await countBy(weft, 'approve', 'suspended')) === 9, { message: 'runs to suspend' });

    const first = weft.bulk({ action: 'cancel', filter: { workflowId: 'approve' }, batchSize: 3 });
    first.onProgress((p) => {
      if (p.processed === 3) first.stop();
    });
    const part = await first.done;
    expect(part).toMatchObject({ processed: 3, succeeded: 3, stopped: true });
    expect(part.cursor).toBeTypeOf('string');
    expect(await countBy(weft, 'approve', 'canceled')).toBe(3);

    const rest = await weft.bulk({ action: 'cancel', filter: { workflowId: 'approve' }, cursor: part.cursor, batchSize: 3 }).done;
    expect(rest).toMatchObject({ succeeded: 6, stopped: false, done: true });
    expect(await countBy(weft, 'approve', 'canceled')).toBe(9);

    const picked = await weft.bulk({ action: 'delete', filter: { runIds: [ids[0]!, ids[1]!, 'no-such-run'] } }).done;
    expect(picked).toMatchObject({ matched: 3, succeeded: 2, skipped: 1 });
    expect((await weft.listRuns({ workflowId: 'approve' })).total).toBe(7);
  });
});

describe('bulk options are checked', () => {
  it('refuses bad options with INVALID_ARGUMENT', () => {
    const weft = new Weft({ store: memoryStore(), workflows: workflows(), worker: false });
    wefts.push(weft);
    const bad: unknown[] = [
      null,
      { action: 'explode' },
      { action: 'cancel', filter: { status: 'bogus' } },
      { action: 'cancel', filter: { colour: 'red' } },
      { action: 'delete' },
      { action: 'cancel', batchSize: 0 },
      { action: 'cancel', resumeData: {} },
      { action: 'cancel', cursor: 'not a cursor' },
      { action: 'cancel', filter: { metadata: { a: {} } } },
      { action: 'cancel', filter: { runIds: 'x' } },
    ];
    for (const opts of bad) expect(() => weft.bulk(opts as never), JSON.stringify(opts)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
