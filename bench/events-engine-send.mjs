// weft.sendEvent through the engine on PostgreSQL: N runs parked by the engine on a wait for `paid`
// with distinct keys, then `sends` sends one at a time, each to a waiting key, while the worker runs the
// runs woken so far. Reports the send's p50/p99 and how much of it is the store call.
//   node bench/events-engine-send.mjs [N=300] [sends=200]      (WEFT_DIST=<dir>/ to time another build)
import pg from 'pg';
import { z } from 'zod';

const N = Number(process.argv[2] ?? 300);
const SENDS = Math.min(N, Number(process.argv[3] ?? 200));
const dist = process.env.WEFT_DIST ?? new URL('../dist/', import.meta.url).href;
const lib = await import(`${dist}index.js`);
const url = process.env.BENCH_PG_URL_DB ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `weft_bench_engine_send_${process.pid}`;
const store = lib.postgresStore({ connectionString: url, schema });
const take = lib.createStep({ id: 'take', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ resumeData }) => resumeData });
const waiter = lib
  .createWorkflow({ id: 'waiter', inputSchema: z.object({ key: z.string() }), outputSchema: z.any() })
  .waitForEvent('paid', take, { match: { key: ({ inputData }) => inputData.key } })
  .commit();
const weft = new lib.Weft({ workflows: { waiter }, store, worker: { concurrency: 100 }, onError: () => {} });
const pct = (a, q) => +[...a].sort((x, y) => x - y)[Math.ceil(q * a.length) - 1].toFixed(3);
try {
  await weft.start();
  for (let i = 0; i < N; i++) await (await waiter.createRun()).startAsync({ inputData: { key: `k${i}` } });
  while ((await weft.listRuns({ workflowId: 'waiter', status: 'waiting' })).total < N) await new Promise((r) => setTimeout(r, 100));
  const inner = store.sendEvent.bind(store);
  const storeMs = [];
  store.sendEvent = async (req) => {
    const t = performance.now();
    try {
      return await inner(req);
    } finally {
      storeMs.push(performance.now() - t);
    }
  };
  const total = [];
  for (let i = 0; i < SENDS; i++) {
    const t = performance.now();
    const r = await weft.sendEvent('paid', { key: `k${i}`, data: { ok: true } });
    total.push(performance.now() - t);
    if (r.delivered.length !== 1) throw new Error(`the event for k${i} reached ${r.delivered.length} runs`);
  }
  console.log(JSON.stringify({ waiting: N, sends: SENDS, sendP50Ms: pct(total, 0.5), sendP99Ms: pct(total, 0.99), storeP50Ms: pct(storeMs, 0.5), storeP99Ms: pct(storeMs, 0.99) }));
} finally {
  await weft.stop({ timeoutMs: 5000 });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
