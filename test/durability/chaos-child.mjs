// A worker process for the crash tests: starts `TOTAL` runs (continuing where an earlier, killed
// process left off), resumes suspended ones, and exits when every run is finished.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { Weft, sqliteStore, postgresStore } from '../../dist/index.js';
import { withTestSeams } from '../../dist/testing/index.js';
import { CALLBACK_OUTCOMES, makeWorkflows, ORDER, RESUMES } from './chaos-workflows.mjs';

const env = process.env;
const ledger = env.LEDGER;
const total = Number(env.TOTAL);
const store =
  env.STORE === 'postgres'
    ? postgresStore({ connectionString: env.PG_URL, schema: env.PG_SCHEMA })
    : sqliteStore({ path: env.DB_PATH });
const workflows = makeWorkflows(ledger);
// The crash points are armed only once the engine has started (recovery itself is not the subject).
let armed = false;
// The callback points (between a run's final commit and its callbacks' record) are passed far less
// often than commits, so they are armed five times as likely.
const p = Number(env.CRASH_PROB);
const crashPoints = env.CRASH_AT
  ? { [env.CRASH_AT]: 1 }
  : env.CRASH_PROB
    ? { 'commit:before': p, 'commit:after': p, 'callback:before': 5 * p, 'callback:after': 5 * p }
    : undefined;
const random = () => (armed ? Math.random() : 1);
const weft = new Weft(
  withTestSeams(
    {
      workflows,
      store,
      worker: { concurrency: 40, leaseMs: 3000, pollMs: 50 },
      inProcessSleepMs: 100,
      onError: (e) => process.stderr.write(`[child ${process.pid}] ${e?.stack ?? e}\n`),
    },
    { crashPoints, random, onCommitted },
  ),
);

function onCommitted(ops) {
  let lines = '';
  for (const op of ops) {
    if (op.type === 'journal' && op.entry.status === 'success' && op.entry.kind !== 'decision') {
      lines += `commit\t${op.entry.runId}/${commitKey(op.entry.path)}\t${process.pid}\n`;
    }
    // A release alone is the record of a held outcome's callbacks (nothing else writes one here: no
    // graceful stop happens while runs are in flight).
    if (op.type === 'run' && op.patch.release && op.patch.status === undefined) lines += `rec\t${op.runId}\t${process.pid}\n`;
  }
  if (lines) appendFileSync(ledger, lines);
}

function commitKey(path) {
  const segs = path.split('/');
  const last = segs[segs.length - 1].replace(/#\d+$/, '');
  const item = /^foreach#\d+\[(\d+)\]$/.exec(segs[segs.length - 2] ?? '');
  return item ? `${last}[${item[1]}]` : last;
}

await weft.start();
armed = true;
process.stdout.write('ready\n');

const acked = existsSync(ledger) ? readFileSync(ledger, 'utf8').split('\n').filter((l) => l.startsWith('ack\t')).length : 0;
let next = acked;

async function startSome() {
  const upto = Math.min(total, next + 2);
  for (; next < upto; next++) {
    const i = next;
    const wf = weft.getWorkflow(ORDER[i % ORDER.length]);
    const run = await wf.createRun({ runId: `run-${i}` });
    await run.startAsync({ inputData: { n: i } });
    appendFileSync(ledger, `ack\trun-${i}\t${process.pid}\n`);
  }
}

async function resumeSuspended() {
  for (const [id, opts] of Object.entries(RESUMES)) {
    const wf = weft.getWorkflow(id);
    const { runs } = await wf.listWorkflowRuns({ status: 'suspended', perPage: 100 });
    for (const r of runs) {
      const run = await wf.createRun({ runId: r.runId });
      await run.resumeAsync(opts).catch(() => {});
    }
  }
}

async function allDone() {
  let finished = 0;
  for (const id of ORDER) {
    const { total: t } = await weft.getWorkflow(id).listWorkflowRuns({ status: ['success', 'failed', 'canceled'], perPage: 1 });
    finished += t;
  }
  return finished >= total && (await allRecorded());
}

/** Every run of a workflow with callbacks is released: its last outcome's callbacks are recorded. */
async function allRecorded() {
  for (let i = 0; i < total; i++) {
    if (!CALLBACK_OUTCOMES[ORDER[i % ORDER.length]]) continue;
    const run = await store.loadRun(`run-${i}`);
    if (!run || run.owner !== null) return false;
  }
  return true;
}

for (;;) {
  if (next < total) await startSome();
  await resumeSuspended();
  if (next >= total && (await allDone())) break;
  await new Promise((r) => setTimeout(r, next < total ? 50 : 20));
}
process.stdout.write('done\n');
await weft.stop();
process.exit(0);
