// Event matching at scale on PostgreSQL, at the store: seeds N runs waiting for `paid` on distinct keys
// straight into the tables (SQL, seconds instead of the half hour the engine needs to park 100,000 runs
// on a loaded machine), analyzes them, then times `sends` calls of Store.sendEvent (the store, the
// match through the event_waits index and the delivery: one transaction), each to a random waiting key.
// Scenario i (run.mjs --only i) measures the same through the engine, parking the runs for real.
//   node bench/events-match.mjs [N=100000] [sends=200]
import pg from 'pg';
import { postgresStore } from '../dist/index.js';

const N = Number(process.argv[2] ?? 100_000);
const SENDS = Number(process.argv[3] ?? 200);
const url = process.env.BENCH_PG_URL_DB ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `weft_bench_events_${process.pid}`;
const admin = new pg.Pool({ connectionString: url, max: 1 });
const store = postgresStore({ connectionString: url, schema });
try {
  await store.open();
  const t0 = Date.now();
  const s = `"${schema}"`;
  await admin.query(`INSERT INTO ${s}.runs (id, workflow_id, status, lease_epoch, created_at, updated_at)
    SELECT 'r' || i, 'waiter', 'waiting', 2, $1, $1 FROM generate_series(0, $2 - 1) i`, [t0, N]);
  await admin.query(`INSERT INTO ${s}.journal (run_id, path, kind, status, attempt, meta, started_at)
    SELECT 'r' || i, 'waitForEvent_take', 'step', 'waiting', 1,
      '{"wait":{"events":["paid"],"key":"k' || i || '","deadline":null,"onTimeout":"continue"}}', $1 FROM generate_series(0, $2 - 1) i`, [t0, N]);
  await admin.query(`INSERT INTO ${s}.event_waits (run_id, path, name, match_key, created_at)
    SELECT 'r' || i, 'waitForEvent_take', 'paid', 'k' || i, $1 FROM generate_series(0, $2 - 1) i`, [t0, N]);
  await admin.query(`ANALYZE ${s}.runs; ANALYZE ${s}.journal; ANALYZE ${s}.event_waits; ANALYZE ${s}.events`);
  const seedMs = Date.now() - t0;
  const lat = [];
  const used = new Set();
  for (let j = 0; j < SENDS; j++) {
    let k;
    do k = Math.floor(Math.random() * N);
    while (used.has(k));
    used.add(k);
    const t = performance.now();
    const r = await store.sendEvent({ event: { id: `e${j}`, name: 'paid', key: `k${k}`, runId: null, data: '{"ok":true}', now: Date.now() } });
    lat.push(performance.now() - t);
    if (r.delivered.length !== 1 || r.delivered[0].runId !== `r${k}`) throw new Error(`event for k${k} delivered to ${JSON.stringify(r.delivered)}`);
  }
  lat.sort((a, b) => a - b);
  const pct = (p) => lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)];
  const plan = (await admin.query(`EXPLAIN SELECT run_id, path FROM ${s}.event_waits WHERE name = 'paid' AND (match_key = 'k1' OR match_key IS NULL)`)).rows.map((r) => r['QUERY PLAN']).join('\n');
  console.log(JSON.stringify({ waiting: N, seedMs, sends: SENDS, sendP50Ms: +pct(50).toFixed(3), sendP99Ms: +pct(99).toFixed(3), sendMaxMs: +lat.at(-1).toFixed(3) }));
  console.log(plan);
} finally {
  await store.close();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
