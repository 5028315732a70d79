import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient } from '../../src/client/index.js';
import { createStep, createWorkflow } from '../../src/index.js';
import { startHarness, type Harness } from '../server/harness.js';

/** GET /api/weft/runs/:runId/loops and the client's getRunLoops, on a real server over a SQLite file. */
const N = z.object({ n: z.number() });
const inc = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
const counter = createWorkflow({ id: 'counter', inputSchema: N, outputSchema: N })
  .dountil(inc, async ({ inputData }) => inputData.n >= 45)
  .commit();

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ workflows: { counter }, token: 'tok' });
});
afterAll(async () => {
  await h.close();
});

describe('loop views over HTTP', () => {
  it('the route and the client give the count, the last 20 outputs (the default window) and what was compacted', async () => {
    const client = createClient<{ counter: typeof counter }>({ baseUrl: h.url, token: 'tok' });
    const run = await client.getWorkflow('counter').createRun({ runId: 'loop-run' });
    expect((await run.start({ inputData: { n: 0 } })).status).toBe('success');

    const raw = await h.api('/runs/loop-run/loops', { headers: { authorization: 'Bearer tok' } });
    expect(raw.status).toBe(200);
    expect(raw.body.runId).toBe('loop-run');
    const loops = await client.getRunLoops('loop-run');
    expect(loops).toEqual(raw.body.loops);
    expect(loops).toHaveLength(1);
    const [loop] = loops!;
    // Compacted once, at iteration 40 (iterations 1..20); 21..25 still have values but are not shown.
    expect(loop).toMatchObject({ path: 'loop#0', step: 'inc', iterations: 45, completed: 45, window: 20, hidden: 25, compacted: 20 });
    expect(loop!.shown.map((s) => s.iteration)).toEqual(Array.from({ length: 20 }, (_, k) => 26 + k));
    expect(loop!.shown.at(-1)).toMatchObject({ iteration: 45, status: 'success', output: { n: 45 } });
  });

  it('answers 404 RUN_NOT_FOUND for an unknown run (the client: null) and 401 without the token', async () => {
    const client = createClient({ baseUrl: h.url, token: 'tok' });
    expect(await client.getRunLoops('no-such-run')).toBeNull();
    const res = await h.api('/runs/no-such-run/loops', { headers: { authorization: 'Bearer tok' } });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('RUN_NOT_FOUND');
    expect((await h.api('/runs/loop-run/loops')).status).toBe(401);
  });
});
