// A worker process for the time-travel / restart crash test. PHASE=travel: runs `run-1` to the end,
// then time-travels it to t2 with a new input; t3 of the travelled course hangs (HANG=1) so the test
// can SIGKILL the process while the rewound run is in flight. PHASE=recover: a fresh process on the same
// store just starts its engine and waits until the run has finished again.
import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { Weft, createStep, createWorkflow, postgresStore, sqliteStore } from '../../dist/index.js';
import { untilSettled } from '../support/child-wait.mjs';

const env = process.env;
const N = z.object({ n: z.number() });
const log = (line) => appendFileSync(env.LEDGER, `${line}\t${process.pid}\n`);
const step = (id, hangOnTravel) =>
  createStep({
    id,
    inputSchema: N,
    outputSchema: N,
    execute: async ({ inputData }) => {
      log(`exec\t${id}\t${inputData.n}`);
      if (hangOnTravel && env.HANG === '1' && inputData.n > 100) await new Promise(() => {});
      return { n: inputData.n + 1 };
    },
  });
const wf = createWorkflow({ id: 'course', inputSchema: N, outputSchema: N }).then(step('t1')).then(step('t2')).then(step('t3', true)).commit();
const store = env.STORE === 'postgres' ? postgresStore({ connectionString: env.PG_URL, schema: env.PG_SCHEMA }) : sqliteStore({ path: env.DB_PATH });
const weft = new Weft({ workflows: { course: wf }, store, worker: { leaseMs: 1000, pollMs: 50 }, onError: () => {} });
await weft.start();
const w = weft.getWorkflow('course');

if (env.PHASE === 'travel') {
  const run = await w.createRun({ runId: 'run-1' });
  const first = await run.start({ inputData: { n: 0 } });
  log(`first\t${first.status}\t${JSON.stringify(first.result)}`);
  await run.timeTravelAsync({ step: 't2', inputData: { n: 1000 } });
  log('travelled');
  process.stdout.write('ready\n');
  await new Promise(() => {}); // t3 hangs: the test kills this process
} else {
  process.stdout.write('ready\n');
  await untilSettled(weft, 'run-1');
  const r = await w.getWorkflowRunExecutionResult('run-1');
  log(`final\t${r.status}\t${JSON.stringify(r.status === 'success' ? r.result : null)}`);
  await weft.stop();
  process.stdout.write('done\n');
  process.exit(0);
}
