import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, postgresStore, sqliteStore, type Store } from '../../src/index.js';
import { PG_URL, schemaFactory } from '../store/pg-helpers.js';
import { makeWeft, N, uid, untilStatus } from './helpers.js';

/** weft.getRunLoops: a long loop's iteration count and its last `loopHistory` outputs, on every store. */
const dir = mkdtempSync(join(tmpdir(), 'weft-loop-views-'));
const schemas = schemaFactory('loopview');
let admin: pg.Pool;
beforeAll(() => {
  admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await schemas.dropAll(admin);
  await admin.end();
});

const stores: [string, () => Store][] = [
  ['memory', () => memoryStore()],
  ['sqlite', () => sqliteStore({ path: join(dir, `${uid('db')}.db`) })],
  ['postgres', () => postgresStore({ connectionString: PG_URL, schema: schemas.next() })],
];

const inc = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });

describe.each(stores)('loop views (%s)', (_name, makeStore) => {
  it('a 45-iteration loop with loopHistory 10: count, the last 10 outputs, what was compacted', async () => {
    const wf = createWorkflow({ id: uid('long'), inputSchema: N, outputSchema: N })
      .dountil(inc, async ({ inputData }) => inputData.n >= 45)
      .commit();
    const weft = makeWeft({ [wf.id]: wf }, { store: makeStore(), loopHistory: 10 });
    const run = await wf.createRun();
    expect((await run.start({ inputData: { n: 0 } })).status).toBe('success');

    const [loop, ...others] = await weft.getRunLoops(run.runId);
    expect(others).toEqual([]);
    expect(loop).toMatchObject({ path: 'loop#0', step: 'inc', iterations: 45, completed: 45, window: 10, hidden: 35 });
    expect(loop!.shown.map((s) => [s.iteration, s.status, s.output])).toEqual(Array.from({ length: 10 }, (_, k) => [36 + k, 'success', { n: 36 + k }]));
    expect(loop!.shown.every((s) => typeof s.endedAt === 'number' && s.endedAt >= s.startedAt)).toBe(true);
    // Compacted at iterations 20, 30 and 40 (each clears the window before the last one): 1..30.
    expect(loop!.compacted).toBe(30);
  });

  it('a loop that suspends in its third iteration shows it as the latest, and a run without loops has none', async () => {
    const ask = createStep({
      id: 'ask',
      inputSchema: N,
      outputSchema: N,
      resumeSchema: z.object({ ok: z.boolean() }),
      execute: async ({ inputData, resumeData, suspend }) => (inputData.n === 2 && !resumeData ? suspend({ at: inputData.n }) : { n: inputData.n + 1 }),
    });
    const turn = createWorkflow({ id: 'turn', inputSchema: N, outputSchema: N }).then(ask).commit();
    const wf = createWorkflow({ id: uid('susp'), inputSchema: N, outputSchema: N })
      .dowhile(turn, async ({ inputData }) => inputData.n < 4)
      .commit();
    const plain = createWorkflow({ id: uid('plain'), inputSchema: N, outputSchema: N }).then(inc).commit();
    const weft = makeWeft({ [wf.id]: wf, [plain.id]: plain }, { store: makeStore() });
    const run = await wf.createRun();
    expect((await run.start({ inputData: { n: 0 } })).status).toBe('suspended');

    let [loop] = await weft.getRunLoops(run.runId);
    expect(loop).toMatchObject({ path: 'loop#0', step: 'turn', iterations: 3, completed: 2, window: 20, hidden: 0, compacted: 0 });
    expect(loop!.shown.map((s) => [s.iteration, s.status, s.output])).toEqual([
      [1, 'success', { n: 1 }],
      [2, 'success', { n: 2 }],
      [3, 'running', undefined],
    ]);

    await run.resumeAsync({ step: ['turn', 'ask'], resumeData: { ok: true } });
    await untilStatus(wf, run.runId, 'success');
    [loop] = await weft.getRunLoops(run.runId);
    expect(loop).toMatchObject({ iterations: 4, completed: 4 });
    expect(loop!.shown.at(-1)).toMatchObject({ iteration: 4, status: 'success', output: { n: 4 } });

    const other = await plain.createRun();
    await other.start({ inputData: { n: 0 } });
    expect(await weft.getRunLoops(other.runId)).toEqual([]);
  });

  it('refuses an unknown run and a malformed id with their named errors', async () => {
    const weft = makeWeft({}, { store: makeStore() });
    await expect(weft.getRunLoops('no-such-run')).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    await expect(weft.getRunLoops('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('loop views with every iteration kept', () => {
  it('loopHistory Infinity shows every iteration (window null) and compacts none', async () => {
    const wf = createWorkflow({ id: uid('all'), inputSchema: N, outputSchema: N })
      .dountil(inc, async ({ inputData }) => inputData.n >= 30)
      .commit();
    const weft = makeWeft({ [wf.id]: wf }, { loopHistory: Infinity });
    const run = await wf.createRun();
    await run.start({ inputData: { n: 0 } });
    const [loop] = await weft.getRunLoops(run.runId);
    expect(loop).toMatchObject({ iterations: 30, window: null, hidden: 0, compacted: 0 });
    expect(loop!.shown).toHaveLength(30);
  });
});
