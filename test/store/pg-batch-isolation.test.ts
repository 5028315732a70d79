import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, postgresStore, Weft } from '../../src/index.js';
import { PG_URL, outcome, schemaFactory, waitUntil } from './pg-helpers.js';

/**
 * One malformed start among many concurrent ones (they share one group-committed createRuns batch)
 * must fail alone: the others are stored and run, and nothing the database would alter is stored.
 */
const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
const schemas = schemaFactory('iso');
afterAll(async () => {
  await schemas.dropAll(admin);
  await admin.end();
});

const N = z.object({ n: z.number() });
const inc = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
const wf = createWorkflow({ id: 'iso', inputSchema: N, outputSchema: N }).then(inc).commit();

const BAD: Record<string, { runId?: string; resourceId?: string }> = {
  'a NUL in runId': { runId: 'bad\u0000id' },
  'a NUL in resourceId': { resourceId: 'user\u0000x' },
  'a lone surrogate in runId': { runId: 'bad\uD800id' },
};

describe('postgres: one malformed start in a batch of 41', () => {
  for (const [what, bad] of Object.entries(BAD)) {
    it(`${what} fails that start alone; the 40 others are acknowledged and finish`, async () => {
      const schema = schemas.next();
      const weft = new Weft({ workflows: { wf }, store: postgresStore({ connectionString: PG_URL, schema }), worker: { pollMs: 50 }, onError: () => {} });
      await weft.start();
      try {
        const good = Array.from({ length: 40 }, (_, i) => `good-${i}`);
        // All 41 are created in the same event-loop turn, so they share one createRuns batch.
        const starts = [
          ...good.map(async (runId) => (await wf.createRun({ runId })).startAsync({ inputData: { n: 1 } })),
          (async () => (await wf.createRun({ runId: bad.runId ?? 'bad-one', resourceId: bad.resourceId })).startAsync({ inputData: { n: 1 } }))(),
        ];
        const results = await Promise.all(starts.map(outcome));
        const failedGood = results.slice(0, 40).filter((r) => !r.ok);
        expect(failedGood.map((r) => (r.ok ? null : String((r.error as Error).message)))).toEqual([]);
        const last = results[40]!;
        expect(last.ok).toBe(false);
        expect(last.ok ? null : last.error).toMatchObject({ code: 'INVALID_ARGUMENT' });
        for (const runId of good) {
          await waitUntil(async () => (await wf.getWorkflowRunExecutionResult(runId))?.status === 'success', `${runId} to succeed`);
        }
        // Nothing was stored for the bad start, not even an altered copy (U+FFFD) of its id.
        const { rows } = await admin.query<{ id: string }>(`SELECT id FROM "${schema}".runs ORDER BY id`);
        expect(rows.map((r) => r.id).sort()).toEqual([...good].sort());
      } finally {
        await weft.stop();
      }
    });
  }
});

describe('postgres: a batch the database refuses for one item', () => {
  // A constraint stands for any refusal validation cannot foresee (a trigger, a CHECK added by an
  // operator, a value out of a column's range): the batch is split until the bad item is alone.
  it('createRunsSettled and writeSettled commit everything but the refused item', async () => {
    const schema = schemas.next();
    const store = postgresStore({ connectionString: PG_URL, schema });
    await store.open();
    try {
      await admin.query(`ALTER TABLE "${schema}".runs ADD CONSTRAINT poison CHECK (id <> 'poison')`);
      await admin.query(`ALTER TABLE "${schema}".journal ADD CONSTRAINT poison CHECK (path <> 'poison')`);
      const now = Date.now();
      const run = (runId: string) => ({
        runId, workflowId: 'wf', status: 'running' as const, resourceId: null, input: '{}', state: null, requestContext: null,
        tracing: null, priority: 0, concurrencyKey: null, owner: 'w', leaseExpiresAt: now + 60_000, now,
      });
      const ids = Array.from({ length: 9 }, (_, i) => `r${i}`);
      const created = await store.createRunsSettled!([...ids.slice(0, 4), 'poison', ...ids.slice(4)].map(run));
      expect(created.map((c) => (c.error ? `error:${(c.error as { code?: string }).code}` : c.created))).toEqual([
        true, true, true, true, 'error:STORE_ERROR', true, true, true, true, true,
      ]);
      // The message is weft's, not the server's (which names the constraint); the driver's error is the cause.
      const refused = created[4]!.error as Error;
      expect(refused.message).toBe('createRuns: the database refused the change (constraint violation) (23514)');
      expect(String((refused.cause as Error).message)).toMatch(/violates check constraint "poison"/);
      const entry = (runId: string, path: string) => ({
        type: 'journal' as const, epoch: 1,
        entry: { runId, path, kind: 'step' as const, status: 'success' as const, attempt: 1, input: null, output: '{}', error: null, meta: null, startedAt: now, endedAt: now },
      });
      const out = await store.writeSettled!([...ids.map((id) => entry(id, 'a')), entry('r3', 'poison'), entry('r3', 'b')]);
      expect(out.fenced).toEqual([]);
      expect(out.failed?.map((x) => x.runId)).toEqual(['r3']);
      const { rows } = await admin.query<{ run_id: string; path: string }>(`SELECT run_id, path FROM "${schema}".journal ORDER BY run_id, path`);
      expect(rows.map((r) => `${r.run_id}/${r.path}`)).toEqual(ids.filter((id) => id !== 'r3').map((id) => `${id}/a`));
    } finally {
      await store.close();
    }
  });
});
