// Child runs through the engine: the round trip of a parent whose step starts one child and awaits it
// (child created, parent parked, child executed, parent woken by the child's outcome, step replayed), and
// a fan-out of K children awaited together, against the same work without child runs.
//   node bench/child-runs.mjs [sqlite|postgres] [runs=200] [fanout=100]
// PostgreSQL: WEFT_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test), a schema of its own.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { z } from 'zod';
import { Weft, createStep, createWorkflow, postgresStore, sqliteStore } from '../dist/index.js';

const KIND = process.argv[2] ?? 'sqlite';
const RUNS = Number(process.argv[3] ?? 200);
const FANOUT = Number(process.argv[4] ?? 100);
const PG_URL = process.env.WEFT_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const path = join(process.env.BENCH_TMP ?? tmpdir(), `weft-child-bench-${process.pid}.db`);
const schema = `bench_child_${process.pid}`;

const N = z.object({ n: z.number() });
const work = createWorkflow({ id: 'work', inputSchema: N, outputSchema: N })
  .then(createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) }))
  .commit();
const parent = createWorkflow({ id: 'parent', inputSchema: N, outputSchema: N })
  .then(createStep({ id: 'call', inputSchema: N, outputSchema: N, execute: async (ctx) => ctx.startWorkflow(work, ctx.inputData) }))
  .commit();
const inline = createWorkflow({ id: 'inline', inputSchema: N, outputSchema: N })
  .then(createStep({ id: 'call', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => inputData }))
  .then(createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) }))
  .commit();
const fan = createWorkflow({ id: 'fan', inputSchema: N, outputSchema: z.any() })
  .then(createStep({ id: 'fan', inputSchema: N, outputSchema: z.any(), execute: async (ctx) => (await Promise.all(Array.from({ length: ctx.inputData.n }, (_, i) => ctx.startWorkflow(work, { n: i })))).length }))
  .commit();

const store = KIND === 'postgres' ? postgresStore({ connectionString: PG_URL, schema }) : sqliteStore({ path });
const weft = new Weft({ store, workflows: { work, parent, inline, fan }, worker: { concurrency: 50, pollMs: 200 }, onError: (e) => console.error(e) });
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
async function latency(wf) {
  const lat = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const r = await (await wf.createRun()).start({ inputData: { n: i } });
    if (r.status !== 'success') throw new Error(JSON.stringify(r));
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  return { p50Ms: +pct(lat, 50).toFixed(2), p99Ms: +pct(lat, 99).toFixed(2) };
}
try {
  await weft.start();
  await latency(inline); // warm-up
  const withoutChild = await latency(inline);
  const withChild = await latency(parent);
  const t = performance.now();
  const r = await (await fan.createRun()).start({ inputData: { n: FANOUT } });
  if (r.status !== 'success' || r.result !== FANOUT) throw new Error(JSON.stringify(r));
  const fanMs = +(performance.now() - t).toFixed(1);
  console.log(JSON.stringify({ store: KIND, runs: RUNS, twoStepsInOneRun: withoutChild, parentWithOneChild: withChild, fanout: FANOUT, fanoutMs: fanMs }));
} finally {
  await weft.stop();
  if (KIND === 'postgres') {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  } else for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
}
