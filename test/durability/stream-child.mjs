// A worker process of the run-stream crash test. PHASE=run: starts `talk-1`, whose step streams
// chunks; the test SIGKILLs it mid-stream. PHASE=recover: a fresh worker on the same store takes the
// run over once the dead one's lease expired, runs it to the end, logs `final`, and exits.
import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { Weft, createStep, createWorkflow, postgresStore, sqliteStore } from '../../dist/index.js';
import { streamWorkflow } from './stream-workflow.mjs';
import { untilSettled } from '../support/child-wait.mjs';

const env = process.env;
const log = (line) => appendFileSync(env.LEDGER, `${line}\t${process.pid}\n`);
const wf = streamWorkflow({ createStep, createWorkflow, z }, { gapMs: Number(env.GAP_MS ?? 5), log });
const store = env.STORE === 'postgres' ? postgresStore({ connectionString: env.PG_URL, schema: env.PG_SCHEMA }) : sqliteStore({ path: env.DB_PATH });
const weft = new Weft({ workflows: { talk: wf }, store, worker: { leaseMs: 1000, pollMs: 50 }, onError: () => {} });
await weft.start();
const w = weft.getWorkflow('talk');

if (env.PHASE === 'run') {
  const run = await w.createRun({ runId: env.RUN_ID });
  await run.startAsync({ inputData: { text: 'hi' } });
  await new Promise(() => {}); // the test kills this process mid-stream
} else {
  const r = await untilSettled(weft, env.RUN_ID);
  log(`final\t${r.status}`);
  await weft.stop();
  process.exit(0);
}
