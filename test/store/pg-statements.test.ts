import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Weft, createStep, createWorkflow, postgresStore } from '../../src/index.js';
import { PG_URL, schemaFactory } from './pg-helpers.js';

/**
 * What a run executed alone sends to PostgreSQL, counted (a deterministic measure of the per-step cost,
 * see docs/performance.md): a run of n steps is n + 1 statements — its creation, one per step, the last
 * step's row together with the outcome — each a named statement (prepared once per connection).
 */

const schemas = schemaFactory('stmts');
const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
afterAll(async () => {
  await schemas.dropAll(admin);
  await admin.end();
});

const num = z.object({ n: z.number() });
const inc = (id: string) => createStep({ id, inputSchema: num, outputSchema: num, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });

describe('PostgreSQL statements per run', () => {
  it('a 5-step run executed alone sends 6 named statements', async () => {
    const sent: { name: string | undefined; text: string }[] = [];
    let counting = false;
    const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
    const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, ...rest: unknown[]) => {
      if (counting && typeof config === 'object' && config !== null) {
        const c = config as { name?: string; text: string };
        sent.push({ name: c.name, text: c.text });
      }
      return query(config, ...rest);
    };
    const wf = createWorkflow({ id: 'five', inputSchema: num, outputSchema: num }).then(inc('a')).then(inc('b')).then(inc('c')).then(inc('d')).then(inc('e')).commit();
    // Polls far apart, so the worker's own housekeeping does not fall into the counted runs.
    const weft = new Weft({ workflows: { wf }, store: postgresStore({ pool, schema: schemas.next() }), worker: { pollMs: 60_000 } });
    try {
      await weft.start();
      await (await wf.createRun()).start({ inputData: { n: 0 } }); // connections warmed, statements prepared
      counting = true;
      const runs = 5;
      for (let i = 0; i < runs; i++) {
        const res = await (await wf.createRun()).start({ inputData: { n: 0 } });
        expect(res.status === 'success' ? res.result : res).toEqual({ n: 5 });
      }
      counting = false;
      const hot = sent.filter((s) => s.name !== undefined);
      expect(hot).toHaveLength(runs * 6);
      expect(sent.length - hot.length).toBeLessThanOrEqual(2); // a housekeeping query at most
      // Names are weft_<schema>_<statement>.
      const names = new Map<string, number>();
      for (const s of hot) {
        const kind = s.name!.slice(s.name!.search(/_(create|one)_/) + 1);
        names.set(kind, (names.get(kind) ?? 0) + 1);
      }
      expect(Object.fromEntries(names)).toEqual({ create_one: runs, one_1_skip: runs * 4, one_patch_1_skip: runs });
    } finally {
      await weft.stop();
      await pool.end();
    }
  });
});
