// A wait registration (Store.registerWait) on PostgreSQL through the engine, two builds A/B in one
// process, rounds interleaved (A, B, B, A, ...; the machine's load drifts within a minute):
//   early:   an event sent first, then a run of a workflow whose first step waits for it: start() to
//            result, and the registerWait call within it (it takes the event);
//   waiting: a run that reaches its wait with no event yet: startAsync() to the registration's end,
//            and the registerWait call (it registers the wait; the run parks).
// Round trips per registration: the statements pg's Client.query sent while registerWait ran (the
// worker polls once a minute, so nothing else is sent then).
//   WEFT_BASE=.base-dist node bench/events-wait-profile.mjs [rounds=8] [runs=40]
// WEFT_BASE: a copy of dist/ built from the code before the change (inside the package, so it finds
// node_modules and migrations); the other build is dist/.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// pg and zod as the builds load them (the package's node_modules, not bench/node_modules).
const require = createRequire(resolve('package.json'));
const pg = require('pg');
const { z } = require('zod');

const ROUNDS = Number(process.argv[2] ?? 8);
const RUNS = Number(process.argv[3] ?? 40);
const url = process.env.BENCH_PG_URL_DB ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const builds = { before: process.env.WEFT_BASE ?? '.base-dist', after: 'dist' };

let counting = false;
let statements = 0;
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function (...args) {
  if (counting) statements++;
  return original.apply(this, args);
};

const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length ? +a[Math.floor((a.length - 1) / 2)].toFixed(3) : null;
};

async function setUp(label, dir) {
  const m = await import(pathToFileURL(resolve(dir, 'index.js')).href);
  const schema = `weft_bench_wait_${label}_${process.pid}`;
  const store = m.postgresStore({ connectionString: url, schema });
  const calls = [];
  const registered = new Map();
  const register = store.registerWait.bind(store);
  store.registerWait = async (req) => {
    counting = true;
    statements = 0;
    const t = performance.now();
    const out = await register(req);
    calls.push({ ms: performance.now() - t, statements });
    counting = false;
    registered.get(req.runId)?.();
    return out;
  };
  const step = m.createStep({ id: 'take', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ resumeData }) => resumeData ?? null });
  const wf = m.createWorkflow({ id: 'waiter', inputSchema: z.object({ k: z.string() }), outputSchema: z.any() })
    .waitForEvent('paid', step, { match: { key: ({ inputData }) => inputData.k } })
    .commit();
  const weft = new m.Weft({ workflows: { wf }, store, worker: { pollMs: 60_000 } });
  await weft.start();
  return { label, schema, weft, wf, calls, registered };
}

let keys = 0;
async function round(b) {
  const out = { early: [], earlyCall: [], waiting: [], waitingCall: [], statements: [] };
  for (let i = 0; i < RUNS; i++) {
    const k = `k${++keys}`;
    await b.weft.sendEvent('paid', { key: k, data: { amount: 1 } });
    b.calls.length = 0;
    let t = performance.now();
    const res = await (await b.wf.createRun()).start({ inputData: { k } });
    out.early.push(performance.now() - t);
    if (res.status !== 'success') throw new Error(`early run ended ${res.status}`);
    out.earlyCall.push(b.calls[0].ms);
    out.statements.push(b.calls[0].statements);

    const w = `w${++keys}`;
    b.calls.length = 0;
    const run = await b.wf.createRun();
    const done = new Promise((r) => b.registered.set(run.runId, r));
    t = performance.now();
    await run.startAsync({ inputData: { k: w } });
    await done;
    out.waiting.push(performance.now() - t);
    out.waitingCall.push(b.calls[0].ms);
    out.statements.push(b.calls[0].statements);
    b.registered.delete(run.runId);
  }
  return out;
}

const admin = new pg.Pool({ connectionString: url, max: 1 });
const set = [await setUp('before', builds.before), await setUp('after', builds.after)];
const per = { before: [], after: [] };
try {
  await round(set[0]); // warm-up: connections, prepared statements, plans
  await round(set[1]);
  for (let r = 0; r < ROUNDS; r++) {
    for (const b of r % 2 === 0 ? set : [...set].reverse()) {
      const o = await round(b);
      per[b.label].push(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, median(v)])));
    }
  }
  const summary = Object.fromEntries(
    Object.entries(per).map(([label, rounds]) => [label, Object.fromEntries(Object.keys(rounds[0]).map((k) => [k, median(rounds.map((x) => x[k]))]))]),
  );
  console.log(JSON.stringify({ rounds: ROUNDS, runsPerRound: RUNS, medianOfRoundMediansMs: summary, perRound: per }, null, 1));
} finally {
  for (const b of set) {
    await b.weft.stop({ timeoutMs: 2000 });
    await admin.query(`DROP SCHEMA IF EXISTS "${b.schema}" CASCADE`);
  }
  await admin.end();
}
