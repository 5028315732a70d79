import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, postgresStore, sqliteStore, Weft, type Store } from '../../src/index.js';
import { PG_URL, schemaFactory } from '../store/pg-helpers.js';
import { N, addStep, uid, until } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-start-many-'));
const schemas = schemaFactory('smany');
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const admin = new pg.Pool({ connectionString: PG_URL });
  await schemas.dropAll(admin);
  await admin.end();
});

const STORES: [string, () => Store][] = [
  ['memory', () => memoryStore()],
  ['SQLite', () => sqliteStore({ path: join(dir, `${uid('db')}.db`) })],
  ['PostgreSQL', () => postgresStore({ connectionString: PG_URL, schema: schemas.next() })],
];

describe.each(STORES)('workflow.startMany on the %s store', (_name, makeStore) => {
  function setup() {
    const calls = { count: 0 };
    const wf = createWorkflow({ id: uid('many'), inputSchema: N, outputSchema: N }).then(addStep('a', 1, calls)).commit();
    const weft = new Weft({ store: makeStore(), workflows: { wf } });
    return { wf, weft, calls };
  }

  it('starts every item durably, in order, with the ids given', async () => {
    const { wf, weft, calls } = setup();
    try {
      const items = Array.from({ length: 500 }, (_, i) => ({ inputData: { n: i }, ...(i % 2 ? { runId: `r-${i}` } : {}), resourceId: `user-${i % 7}` }));
      const results = await wf.startMany(items, { concurrency: 64 });
      expect(results).toHaveLength(500);
      results.forEach((r, i) => {
        expect(r.ok, `item ${i}`).toBe(true);
        if (i % 2) expect(r.runId).toBe(`r-${i}`);
      });
      expect(new Set(results.map((r) => r.runId)).size).toBe(500);
      await until(async () => (await wf.listWorkflowRuns({ status: 'success', perPage: 1 })).total === 500, 30_000, 'all 500 runs to succeed');
      expect(calls.count).toBe(500);
      const r7 = await wf.getWorkflowRunExecutionResult('r-7');
      expect(r7).toMatchObject({ status: 'success', result: { n: 8 } });
      expect((await wf.listWorkflowRuns({ resourceId: 'user-3', perPage: 1 })).total).toBe(items.filter((it) => it.resourceId === 'user-3').length);
    } finally {
      await weft.stop();
    }
  });

  it('a bad item gets its own error and the others start', async () => {
    const { wf, weft } = setup();
    try {
      const items = [
        { inputData: { n: 1 }, runId: 'good-1' },
        { inputData: { n: 'not a number' }, runId: 'bad-input' },
        null,
        { inputData: { n: 2 }, runId: '' },
        { inputData: { n: 3 }, colour: 'blue' },
        { inputData: { n: 4 }, runId: 'good-2', metadata: { source: 'import' } },
      ];
      const results = await wf.startMany(items as never, {});
      expect(results.map((r) => r.ok)).toEqual([true, false, false, false, false, true]);
      const codes = results.map((r) => (r.ok ? null : r.error.code));
      expect(codes).toEqual([null, 'VALIDATION_FAILED', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', null]);
      expect(results[1]).toMatchObject({ ok: false, runId: 'bad-input' });
      await until(async () => (await wf.listWorkflowRuns({ status: 'success', perPage: 1 })).total === 2, 10_000, 'both good runs to succeed');
      // The refused items left no run behind.
      expect(await wf.getWorkflowRunById('bad-input')).toBeNull();
      expect((await wf.listWorkflowRuns({ perPage: 10 })).total).toBe(2);
    } finally {
      await weft.stop();
    }
  });

  it('an id that already exists (or repeats in the batch) is one run, started once', async () => {
    const { wf, weft, calls } = setup();
    try {
      const first = await wf.startMany([{ inputData: { n: 1 }, runId: 'same' }]);
      expect(first[0]!.ok).toBe(true);
      const again = await wf.startMany([
        { inputData: { n: 1 }, runId: 'same' },
        { inputData: { n: 5 }, runId: 'twin' },
        { inputData: { n: 5 }, runId: 'twin' },
      ]);
      expect(again.map((r) => r.ok)).toEqual([true, true, true]);
      await until(async () => (await wf.listWorkflowRuns({ status: 'success', perPage: 1 })).total === 2, 10_000, 'two runs to succeed');
      expect(calls.count).toBe(2);
    } finally {
      await weft.stop();
    }
  });
});

describe('workflow.startMany checks its arguments', () => {
  const wf = createWorkflow({ id: uid('many-args'), inputSchema: N, outputSchema: N })
    .then(createStep({ id: 's', inputSchema: N, outputSchema: z.object({ n: z.number() }), execute: async ({ inputData }) => inputData }))
    .commit();

  it('refuses a non-array and bad options as a whole (INVALID_ARGUMENT)', async () => {
    await expect(wf.startMany({} as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(wf.startMany([], { concurrency: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(wf.startMany([], { concurrency: 1.5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(wf.startMany([], null as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await wf.startMany([])).toEqual([]);
  });
});
