// What one run of scenario a's 10-step chain costs on PostgreSQL, counted rather than timed: the
// statements (round trips) per run by statement, each one's client-side latency, this process's CPU
// time per run, and EXPLAIN (ANALYZE, BUFFERS, WAL) of every statement one run sends (trigger times
// included). Counting goes through a wrapper around pg's Client.query, so it sees exactly what weft
// sends. Run from bench/ after `npm run build` at the root:
//
//   node pg-step-profile.mjs [--runs 500]
//
// WEFT_DIST=<path to dist/index.js> profiles another build. Uses (drops and recreates) the database
// weft_bench_profile (BENCH_DB_TAG appended, see lib/pg.mjs).
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { buildWorkflows } from './lib/workflows.mjs';
import { loadWeft } from './engines/weft-common.mjs';
import { benchDb, dropDatabase, freshDatabase } from './lib/pg.mjs';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '500' } } });
const RUNS = Number(args.runs);
// The pg that weft loads (the root's node_modules), so its Client is the one wrapped.
const pg = createRequire(new URL('../package.json', import.meta.url))('pg');

const DB = benchDb('weft_bench_profile');
const url = await freshDatabase(DB);
const lib = await loadWeft();

let recording = null;
const orig = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, ...rest) {
  if (recording && typeof config === 'object' && config !== null && typeof config.text === 'string') {
    const key = config.name ?? config.text.replace(/\s+/g, ' ').slice(0, 70);
    const stat = (recording[key] ??= { n: 0, ms: [], text: config.text, values: config.values });
    stat.n++;
    const t = performance.now();
    const i = rest.findIndex((x) => typeof x === 'function');
    if (i >= 0) {
      const cb = rest[i];
      rest[i] = (...a) => {
        stat.ms.push(performance.now() - t);
        return cb(...a);
      };
    }
  }
  return orig.call(this, config, ...rest);
};

const weft = new lib.Weft({ workflows: buildWorkflows(lib), store: lib.postgresStore({ connectionString: url, schema: 'weft' }), worker: { concurrency: 200 } });
await weft.start();
const chain = weft.getWorkflow('chain');
const runOnce = async () => {
  const res = await (await chain.createRun()).start({ inputData: { n: 0 } });
  if (res.status !== 'success') throw new Error(`run ended ${res.status}`);
  return res;
};
for (let i = 0; i < 100; i++) await runOnce();

recording = {};
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < RUNS; i++) await runOnce();
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const stats = recording;
recording = null;

const p50 = (a) => [...a].sort((x, y) => x - y)[a.length >> 1] ?? NaN;
const total = Object.values(stats).reduce((s, x) => s + x.n, 0);
console.log(`${RUNS} runs of 10 steps, one at a time: ${(total / RUNS).toFixed(2)} statements per run, run ${(wall / RUNS).toFixed(3)} ms (mean), this process's CPU ${((cpu.user + cpu.system) / RUNS).toFixed(0)} µs per run`);
console.log('\nper run  client p50 µs  statement');
for (const [key, s] of Object.entries(stats).sort((a, b) => b[1].n - a[1].n)) {
  console.log(`${(s.n / RUNS).toFixed(2).padStart(7)}  ${(p50(s.ms) * 1000).toFixed(0).padStart(13)}  ${key}`);
}

// EXPLAIN ANALYZE of the statements a run sends (those sent at least once per run), on a fresh run id
// each time; medians over 25 executions after 5 of warm-up, then one plan shown in full.
const perRun = Object.entries(stats).filter(([, s]) => s.n >= RUNS);
const c = new pg.Client({ connectionString: url });
await c.connect();
await c.query('SET jit = off');
const firstValue = perRun.find(([k]) => k.includes('create'))?.[1].values?.[0];
// The run id of the recorded statements (the batch statements pass it in an array).
const sampleRun = Array.isArray(firstValue) ? firstValue[0] : firstValue;
const medians = {};
let shown = {};
for (let i = 0; i < 30; i++) {
  const fresh = `profile-${i}-${Date.now()}`;
  for (const [key, s] of perRun) {
    const values = typeof sampleRun === 'string' ? JSON.parse(JSON.stringify(s.values).replaceAll(sampleRun, fresh)) : s.values;
    const { rows } = await c.query(`EXPLAIN (ANALYZE, BUFFERS, WAL, COSTS OFF) ${s.text}`, values);
    const lines = rows.map((r) => r['QUERY PLAN']);
    shown[key] = lines;
    if (i < 5) continue;
    for (const l of lines) {
      const m = l.match(/^(Planning Time|Execution Time|Trigger [^:]+): (?:time=)?([\d.]+)/);
      if (m) (medians[key] ??= {})[m[1]] = [...(medians[key]?.[m[1]] ?? []), Number(m[2])];
    }
  }
}
await c.end();
console.log('\nserver side (EXPLAIN ANALYZE, median ms; a named statement is planned once per connection, EXPLAIN plans every time)');
for (const [key, m] of Object.entries(medians)) {
  const wal = shown[key].filter((l) => /^\s*WAL:/.test(l)).map((l) => l.trim().replace('WAL: ', ''));
  console.log(`${key}\n  ${Object.entries(m).map(([k, v]) => `${k} ${p50(v).toFixed(3)}`).join(', ')}\n  WAL per node: ${wal.join('; ')}`);
}
if (process.env.PROFILE_PLANS) for (const [key, lines] of Object.entries(shown)) console.log(`\n=== ${key}\n${lines.join('\n')}`);

await weft.stop();
await dropDatabase(DB);
