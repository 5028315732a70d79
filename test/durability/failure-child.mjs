// A worker process for the onFailure crash test: starts TOTAL runs that fail (continuing where a killed
// process left off; run ids make the starts idempotent) and exits once every failed run's onFailure run
// has finished. CRASH_AT kills the process at the first pass of that crash point.
import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { Weft, createStep, createWorkflow, sqliteStore, postgresStore } from '../../dist/index.js';
import { withTestSeams } from '../../dist/testing/index.js';
import { pollUntil } from '../support/child-wait.mjs';

const env = process.env;
const total = Number(env.TOTAL);
const store =
  env.STORE === 'postgres' ? postgresStore({ connectionString: env.PG_URL, schema: env.PG_SCHEMA }) : sqliteStore({ path: env.DB_PATH });

const In = z.object({ n: z.number() });
const alert = createWorkflow({ id: 'fail-alert', inputSchema: z.object({ runId: z.string(), error: z.any(), input: z.any() }).passthrough(), outputSchema: z.object({}) })
  .then(
    createStep({
      id: 'page',
      inputSchema: z.any(),
      outputSchema: z.object({}),
      execute: async ({ inputData }) => {
        appendFileSync(env.LEDGER, `alert\t${inputData.runId}\t${inputData.error?.message}\t${process.pid}\n`);
        return {};
      },
    }),
  )
  .commit();
const job = createWorkflow({ id: 'fail-job', inputSchema: In, outputSchema: In, onFailure: 'fail-alert' })
  .then(
    createStep({
      id: 'charge',
      inputSchema: In,
      outputSchema: In,
      execute: async ({ inputData }) => {
        throw new Error(`declined ${inputData.n}`);
      },
    }),
  )
  .commit();

let armed = false;
const weft = new Weft(
  withTestSeams(
    {
      workflows: { alert, job },
      store,
      worker: { concurrency: 8, leaseMs: 1000, pollMs: 50 },
      onError: (e) => process.stderr.write(`[child ${process.pid}] ${e?.stack ?? e}\n`),
    },
    { crashPoints: env.CRASH_AT ? { [env.CRASH_AT]: 1 } : undefined, random: () => (armed ? 0 : 1) },
  ),
);
await weft.start();
armed = true;
process.stdout.write('ready\n');

for (let i = 0; i < total; i++) {
  const run = await job.createRun({ runId: `run-${i}` });
  await run.startAsync({ inputData: { n: i } });
}
await pollUntil(async () => {
  const failed = await weft.listRuns({ workflowId: 'fail-job', status: 'failed', perPage: 1000 });
  const alerts = await weft.listRuns({ workflowId: 'fail-alert', status: 'success', perPage: 1000 });
  const held = [];
  for (const r of failed.runs) if ((await store.loadRun(r.runId))?.owner) held.push(r.runId);
  return failed.total === total && alerts.total >= total && held.length === 0;
}, 50);
process.stdout.write('done\n');
await weft.stop({ timeoutMs: 1000 });
process.exit(0);
