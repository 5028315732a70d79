// A worker process for the cancel-cascade crash test (test/children/cancel-crash.test.ts).
// ROLE=crash-cancel: starts the tree below, waits until every run of it is unfinished and settled in
// place (running, waiting or suspended), logs `tree-ready`, then cancels the root. The process kills
// itself (SIGKILL) at the KILL_AT-th pass of the 'cancel:committed' crash point: that many runs of the
// tree are canceled when it dies, the rest of the cascade is not done.
// ROLE=recover: a fresh process on the same store that never cancels anything; it waits until every run
// of the tree has an outcome, logs each run's status, and exits.
//
// The tree: root `r-1` starts three children at once: mid m(fan 2), which starts two leaves; mid m(fan 0);
// and `sus`, which suspends. In the crash phase every step blocks (so nothing finishes); in the recovery
// phase nothing blocks, so any run that executes there instead of being canceled succeeds.
import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { Weft, createStep, createWorkflow, postgresStore, sqliteStore } from '../../dist/index.js';
import { withTestSeams } from '../../dist/testing/index.js';
import { pollUntil } from '../support/child-wait.mjs';

const env = process.env;
const log = (line) => appendFileSync(env.LEDGER, `${line}\t${process.pid}\n`);
const crashPhase = env.ROLE === 'crash-cancel';
const blockUntilAborted = (signal) => new Promise((resolve) => signal.addEventListener('abort', resolve));

const leaf = createWorkflow({ id: 'leaf', inputSchema: z.object({ i: z.number() }), outputSchema: z.any() })
  .then(
    createStep({
      id: 'work',
      inputSchema: z.object({ i: z.number() }),
      outputSchema: z.any(),
      execute: async ({ inputData, abortSignal }) => {
        log(`exec\tleaf`);
        if (crashPhase) await blockUntilAborted(abortSignal);
        return { leaf: inputData.i };
      },
    }),
  )
  .commit();

const mid = createWorkflow({ id: 'mid', inputSchema: z.object({ fan: z.number() }), outputSchema: z.any() })
  .then(
    createStep({
      id: 'fan',
      inputSchema: z.object({ fan: z.number() }),
      outputSchema: z.any(),
      execute: async (ctx) => {
        log(`exec\tmid`);
        if (ctx.inputData.fan === 0) {
          if (crashPhase) await blockUntilAborted(ctx.abortSignal);
          return { leaves: [] };
        }
        const leaves = [];
        for (let i = 0; i < ctx.inputData.fan; i++) leaves.push(ctx.startWorkflow(leaf, { i }));
        return { leaves: await Promise.all(leaves) };
      },
    }),
  )
  .commit();

const sus = createWorkflow({ id: 'sus', inputSchema: z.any(), outputSchema: z.any() })
  .then(
    createStep({
      id: 'ask',
      inputSchema: z.any(),
      outputSchema: z.any(),
      execute: async ({ suspend, resumeData }) => {
        log(`exec\tsus`);
        if (resumeData === undefined) return suspend({});
        return { answered: true };
      },
    }),
  )
  .commit();

const root = createWorkflow({ id: 'root', inputSchema: z.any(), outputSchema: z.any() })
  .then(
    createStep({
      id: 'spawn',
      inputSchema: z.any(),
      outputSchema: z.any(),
      execute: async (ctx) => {
        log(`exec\troot`);
        return Promise.all([ctx.startWorkflow(mid, { fan: 2 }), ctx.startWorkflow(mid, { fan: 0 }), ctx.startWorkflow(sus, {})]);
      },
    }),
  )
  .commit();

const TREE_SIZE = 6;
const store = env.STORE === 'postgres' ? postgresStore({ connectionString: env.PG_URL, schema: env.PG_SCHEMA }) : sqliteStore({ path: env.DB_PATH });
const options = { workflows: { root, mid, leaf, sus }, store, worker: { concurrency: 10, leaseMs: 1000, pollMs: 50 }, onError: () => {} };
let passes = 0;
const killAt = Number(env.KILL_AT ?? 0);
const seams = { crashPoints: { 'cancel:committed': 1 }, random: () => (++passes >= killAt ? 0 : 1) };
const weft = new Weft(crashPhase ? withTestSeams(options, seams) : options);
await weft.start();

/** Every run of the tree (the root and its descendants) with its status, or null until all six exist. */
async function tree() {
  const runs = [];
  for (const workflowId of ['root', 'mid', 'leaf', 'sus']) runs.push(...(await weft.listRuns({ workflowId })).runs);
  return runs.length === TREE_SIZE ? runs : null;
}

const count = (runs, status) => runs.filter((r) => r.status === status).length;
const terminal = new Set(['success', 'failed', 'canceled']);
if (crashPhase) {
  const run = await root.createRun({ runId: 'r-1' });
  await run.startAsync({ inputData: {} });
  // Ready when the root and the fanning mid wait for their children, the two leaves and the other mid
  // run (blocked in their steps) and `sus` is suspended.
  await pollUntil(async () => {
    const runs = await tree();
    return runs && count(runs, 'waiting') === 2 && count(runs, 'running') === 3 && count(runs, 'suspended') === 1;
  });
  log('tree-ready');
  await weft.cancelRun('r-1');
  log('cancel-returned');
  await new Promise(() => {}); // the crash point kills this process before the cascade is done
} else {
  const runs = await pollUntil(async () => {
    const all = await tree();
    return all && all.every((r) => terminal.has(r.status)) ? all : null;
  });
  for (const r of runs) log(`final\t${r.workflowName}\t${r.runId}\t${r.status}`);
  await weft.stop();
  process.exit(0);
}
