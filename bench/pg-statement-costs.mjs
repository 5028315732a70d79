// Where a PostgreSQL step costs more than the commit floor: each statement one run of scenario a sends
// (recorded from a real run through weft), timed against one autocommit insert and against the same
// statement on tables stripped of what it pays for (triggers, secondary indexes, the run-row lookup),
// all in rotation on one connection so every variant sees the same disk. Run from bench/ after
// `npm run build` at the root:
//
//   node pg-statement-costs.mjs [--rounds 1500]
//
// Uses (drops and recreates) the database weft_bench_statements (BENCH_DB_TAG appended, see lib/pg.mjs).
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { buildWorkflows } from './lib/workflows.mjs';
import { loadWeft } from './engines/weft-common.mjs';
import { benchDb, freshDatabase } from './lib/pg.mjs';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '1500' } } });
const ROUNDS = Number(args.rounds);
const WARMUP = 200;
// The pg that weft loads (the root's node_modules), so its Client is the one whose queries are recorded.
const pg = createRequire(new URL('../package.json', import.meta.url))('pg');

const url = await freshDatabase(benchDb('weft_bench_statements'));
const lib = await loadWeft();

// Record the statements of one run of the bench's 10-step chain.
let recorded = null;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, ...rest) {
  if (recorded && config?.name) recorded.push({ name: config.name, text: config.text, values: config.values });
  return query.call(this, config, ...rest);
};
const weft = new lib.Weft({ workflows: buildWorkflows(lib), store: lib.postgresStore({ connectionString: url, schema: 'weft' }) });
await weft.start();
const chain = weft.getWorkflow('chain');
await (await chain.createRun()).start({ inputData: { n: 0 } });
recorded = [];
await (await chain.createRun()).start({ inputData: { n: 0 } });
const statements = recorded;
recorded = null;
await weft.stop();
pg.Client.prototype.query = query;

const pick = (part) => {
  const s = statements.find((x) => x.name.includes(part));
  if (!s) throw new Error(`no recorded statement named *${part}* (got ${statements.map((x) => x.name).join(', ')})`);
  return s;
};
const create = pick('create_one');
const step = pick('_one_1');
const finish = pick('_one_patch_');
const runId = create.values[0];
console.log(`one run sent ${statements.length} statements: ${[...new Set(statements.map((s) => s.name))].join(', ')}`);

const c = new pg.Client({ connectionString: url });
await c.connect();
await c.query('CREATE TABLE bench_floor (id bigserial PRIMARY KEY, v text NOT NULL)');
// runs with its indexes but without triggers; runs with its primary key only; journal with its key only.
await c.query('CREATE TABLE weft.runs_no_triggers (LIKE weft.runs INCLUDING ALL)');
await c.query('CREATE TABLE weft.runs_key_only (LIKE weft.runs INCLUDING DEFAULTS)');
await c.query('ALTER TABLE weft.runs_key_only ADD PRIMARY KEY (id)');
await c.query('CREATE TABLE weft.journal_plain (LIKE weft.journal INCLUDING DEFAULTS INCLUDING IDENTITY)');
await c.query('ALTER TABLE weft.journal_plain ADD PRIMARY KEY (run_id, path)');

let n = 0;
const swap = (values, from, to) => values.map((v) => (v === from ? to : v));
const onTable = (text, table) => text.replaceAll('"weft".runs ', `weft.${table} `).replaceAll('"weft".runs\n', `weft.${table}\n`);
const createValues = () => swap(create.values, runId, `${runId}-${n++}`);
// A fresh run (as weft creates it: running, owned, epoch 1) that the timed statement then writes to.
const freshRun = async (table = 'runs') => {
  const values = createValues();
  await c.query({ name: `setup_create_${table}`, text: onTable(create.text, table), values });
  return values[0];
};
const stepValues = (id) => {
  const v = swap(step.values, runId, id);
  v[1] = 1; // epoch of a fresh run
  return v;
};

const finishValues = (id) => swap(finish.values, runId, id).map((v, i) => (i === 1 ? 1 : v));
const variants = {
  'one autocommit insert (the floor)': async () => c.query({ name: 'floor', text: 'INSERT INTO bench_floor (v) VALUES ($1)', values: ['x'] }),
  'create: weft': async () => c.query({ name: 'v_create', text: create.text, values: createValues() }),
  'create: runs without triggers': async () => c.query({ name: 'v_create_nt', text: onTable(create.text, 'runs_no_triggers'), values: createValues() }),
  'create: runs with its key only': async () => c.query({ name: 'v_create_ko', text: onTable(create.text, 'runs_key_only'), values: createValues() }),
  'step row: weft': async (id) => c.query({ name: 'v_step', text: step.text, values: stepValues(id) }),
  'step row: plain insert into journal': async (id) => {
    const v = stepValues(id);
    return c.query({
      name: 'v_step_plain',
      text: `INSERT INTO weft.journal_plain (run_id, path, kind, status, attempt, input, output, error, meta, started_at, ended_at)
        VALUES ($1, $2, $3, $4, $5::int, $6, $7, $8, $9, $10::bigint, $11::bigint)`,
      values: [v[0], ...v.slice(2, 12)],
    });
  },
  'last step + outcome: weft': async (id) => c.query({ name: 'v_finish', text: finish.text, values: finishValues(id) }),
  'last step + outcome: runs without triggers': async (id) => c.query({ name: 'v_finish_nt', text: onTable(finish.text, 'runs_no_triggers'), values: finishValues(id) }),
};
const tableOf = { 'last step + outcome: runs without triggers': 'runs_no_triggers' };

const needsRun = new Set(['step row: weft', 'step row: plain insert into journal', 'last step + outcome: weft', 'last step + outcome: runs without triggers']);
const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let round = 0; round < WARMUP + ROUNDS; round++) {
  for (const [name, run] of Object.entries(variants)) {
    const id = needsRun.has(name) ? await freshRun(tableOf[name]) : undefined;
    const t = performance.now();
    const res = await run(id);
    const ms = performance.now() - t;
    if (name !== 'one autocommit insert (the floor)' && name.endsWith('weft') && res.rowCount === 0) throw new Error(`${name} wrote nothing`);
    if (round >= WARMUP) times[name].push(ms);
  }
}
await c.end();

const p50 = (a) => [...a].sort((x, y) => x - y)[a.length >> 1] * 1000;
const floor = p50(times['one autocommit insert (the floor)']);
console.log(`\n${ROUNDS} rounds, variants in rotation on one connection\n`);
console.log('p50 µs  x floor  statement');
for (const [name, t] of Object.entries(times)) console.log(`${p50(t).toFixed(0).padStart(6)}  ${(p50(t) / floor).toFixed(2).padStart(7)}  ${name}`);
const run = p50(times['create: weft']) + 9 * p50(times['step row: weft']) + p50(times['last step + outcome: weft']);
console.log(`\nthe run's 11 statements: ${(run / 1000).toFixed(2)} ms = ${(run / 10).toFixed(0)} µs per step = ${(run / 10 / floor).toFixed(2)}x the floor (11 commits alone: 1.10x)`);
process.exit(0);
