// Where a send's time goes on PostgreSQL, A/B in one process on the same data: N runs waiting on
// distinct keys (seeded as in events-match.mjs), then `sends` rounds, each timing in turn
//   floor:     one autocommit INSERT of a small row (one WAL flush: what any durable send costs at least),
//   statements: the statement-by-statement send (BEGIN, advisory locks, insert, waits lookup, locked read
//              of the run and its wait, the delivery, COMMIT: 7 round trips; still the path of sends that
//              start runs),
//   one trip:  the send as the server-side function weft_send_event (migration 0017; 1 round trip).
// Then the plan and time of every statement of each path for one more send (EXPLAIN ANALYZE, and
// auto_explain of the statements nested in the function).
//   node bench/events-send-profile.mjs [N=100000] [sends=200]
import pg from 'pg';
import { postgresStore } from '../dist/index.js';
import { eventSql, sendEvent, sendEventOneTrip } from '../dist/store/postgres/events.js';

const N = Number(process.argv[2] ?? 100_000);
const SENDS = Number(process.argv[3] ?? 200);
const url = process.env.BENCH_PG_URL_DB ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `weft_bench_profile_${process.pid}`;
const s = `"${schema}"`;
const admin = new pg.Pool({ connectionString: url, max: 2 });
const pool = new pg.Pool({ connectionString: url, max: 2, options: '-c jit=off' });
const store = postgresStore({ connectionString: url, schema });
const sql = eventSql(schema);

const pct = (lat, p) => {
  const a = [...lat].sort((x, y) => x - y);
  return +a[Math.min(a.length - 1, Math.ceil((p / 100) * a.length) - 1)].toFixed(3);
};

async function statementsPath(req) {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await sendEvent(c, sql, schema, req, async () => false);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK');
    throw err;
  } finally {
    c.release();
  }
}

try {
  await store.open();
  const t0 = Date.now();
  await admin.query(`INSERT INTO ${s}.runs (id, workflow_id, status, lease_epoch, created_at, updated_at)
    SELECT 'r' || i, 'waiter', 'waiting', 2, $1, $1 FROM generate_series(0, $2 - 1) i`, [t0, N]);
  await admin.query(`INSERT INTO ${s}.journal (run_id, path, kind, status, attempt, meta, started_at)
    SELECT 'r' || i, 'waitForEvent_take', 'step', 'waiting', 1,
      '{"wait":{"events":["paid"],"key":"k' || i || '","deadline":null,"onTimeout":"continue"}}', $1 FROM generate_series(0, $2 - 1) i`, [t0, N]);
  await admin.query(`INSERT INTO ${s}.event_waits (run_id, path, name, match_key, created_at)
    SELECT 'r' || i, 'waitForEvent_take', 'paid', 'k' || i, $1 FROM generate_series(0, $2 - 1) i`, [t0, N]);
  await admin.query(`ANALYZE ${s}.runs; ANALYZE ${s}.journal; ANALYZE ${s}.event_waits; ANALYZE ${s}.events`);
  await admin.query(`CREATE TABLE ${s}.floor (id bigserial PRIMARY KEY, v text NOT NULL)`);

  const keys = [...Array(N).keys()].sort(() => Math.random() - 0.5);
  let next = 0;
  const req = (tag) => {
    const k = keys[next++];
    return { k, req: { event: { id: `${tag}${next}`, name: 'paid', key: `k${k}`, runId: null, data: '{"ok":true}', now: Date.now(), expiresAt: Date.now() + 3_600_000 } } };
  };
  const check = (r, k) => {
    if (r.delivered.length !== 1 || r.delivered[0].runId !== `r${k}`) throw new Error(`event for k${k} delivered to ${JSON.stringify(r.delivered)}`);
  };
  // Warm up the connections and plans of both paths.
  for (let i = 0; i < 20; i++) {
    const a = req('w');
    check(await statementsPath(a.req), a.k);
    const b = req('w');
    check(await sendEventOneTrip(pool, sql, schema, b.req), b.k);
  }
  const lat = { floor: [], statements: [], oneTrip: [] };
  for (let j = 0; j < SENDS; j++) {
    let t = performance.now();
    await pool.query({ name: 'floor', text: `INSERT INTO ${s}.floor (v) VALUES ($1)`, values: ['x'] });
    lat.floor.push(performance.now() - t);
    const a = req('a');
    t = performance.now();
    check(await statementsPath(a.req), a.k);
    lat.statements.push(performance.now() - t);
    const b = req('b');
    t = performance.now();
    check(await sendEventOneTrip(pool, sql, schema, b.req), b.k);
    lat.oneTrip.push(performance.now() - t);
  }
  const summary = Object.fromEntries(Object.entries(lat).map(([k, v]) => [k, { p50Ms: pct(v, 50), p99Ms: pct(v, 99) }]));
  console.log(JSON.stringify({ waiting: N, sends: SENDS, roundTrips: { statements: 7, oneTrip: 1 }, ...summary }));

  // Plans: the statement path's statements one by one, then the function with auto_explain.
  const c = await admin.connect();
  try {
    const { k } = req('x');
    const lockAny = `${schema}\npaid\n*`;
    const lockKeyed = `${schema}\npaid\nk\nk${k}`;
    const explain = async (label, text, values) => {
      const rows = (await c.query(`EXPLAIN (ANALYZE, COSTS OFF, TIMING ON, SUMMARY ON) ${text}`, values)).rows.map((r) => r['QUERY PLAN']);
      console.log(`-- ${label}\n${rows.join('\n')}`);
    };
    await c.query('BEGIN');
    await explain('advisory locks', sql.lockSharedKeyed, [lockAny, lockKeyed]);
    await explain('insert the event', sql.insert, ['px', 'paid', `k${k}`, null, '{"ok":true}', Date.now(), Date.now() + 1]);
    await explain('find the waits', sql.waitsByKey, ['paid', `k${k}`]);
    await explain('lock the run, read its wait row', sql.deliveryTarget, [`r${k}`, 'waitForEvent_take', 'px']);
    await explain('deliver', sql.markDelivered, [`r${k}`, 'waitForEvent_take', 'px', '{}', Date.now()]);
    await c.query('ROLLBACK');
    await c.query(`LOAD 'auto_explain'`);
    await c.query(`SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; SET auto_explain.log_nested_statements = on;
      SET auto_explain.log_timing = on; SET client_min_messages = log`);
    const notes = [];
    c.on('notice', (n) => notes.push(n.message));
    await c.query(`SELECT * FROM ${s}.weft_send_event($1, 'paid', $2, NULL, '{"ok":true}', $3, $4, $5, $6)`, ['py', `k${k}`, Date.now(), Date.now() + 1, lockAny, lockKeyed]);
    await c.query('SET client_min_messages = notice');
    console.log(`-- weft_send_event, its statements (auto_explain)\n${notes.join('\n')}`);
  } finally {
    c.release();
  }
} finally {
  await store.close();
  await pool.end();
  await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await admin.end();
}
