// A worker process for the child-run crash and multi-process tests (test/children/*-process.test.ts).
// ROLE=crash-run: starts parent run p-1 (its step starts a child run) and logs `parent-waiting` once the
// parent waits; the test SIGKILLs it at a chosen moment. ROLE=recover: a fresh process on the same store
// waits until p-1 has finished, logs its result and its child runs, and exits.
// ROLE=w1 / ROLE=w2: two workers on one PostgreSQL schema. w1 (one slot) starts parent p-mp, then a
// higher-priority `hog` run that takes its slot as soon as the parent parks, so the child can only be
// executed by w2 (which has no hog); w2 waits until p-mp has finished and logs it.
import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { Weft, createStep, createWorkflow, postgresStore, sqliteStore } from '../../dist/index.js';
import { withTestSeams } from '../../dist/testing/index.js';
import { pollUntil, untilSettled } from '../support/child-wait.mjs';

const env = process.env;
const log = (line) => appendFileSync(env.LEDGER, `${line}\t${process.pid}\n`);
const forever = () => new Promise(() => {});

let openGate = () => {};
const gate = env.ROLE === 'w1' ? new Promise((r) => (openGate = r)) : Promise.resolve();

const child = createWorkflow({ id: 'child', inputSchema: z.object({ n: z.number() }), outputSchema: z.object({ n: z.number() }) })
  .then(
    createStep({
      id: 'work',
      inputSchema: z.object({ n: z.number() }),
      outputSchema: z.object({ n: z.number() }),
      execute: async ({ inputData }) => {
        log(`exec\twork`);
        if (env.BLOCK_CHILD === '1') await forever();
        log(`returned\twork`);
        return { n: inputData.n * 10 };
      },
    }),
  )
  .commit();

const parent = createWorkflow({ id: 'parent', inputSchema: z.object({ n: z.number() }), outputSchema: z.object({ got: z.number() }) })
  .then(
    createStep({
      id: 'delegate',
      inputSchema: z.object({ n: z.number() }),
      outputSchema: z.object({ got: z.number() }),
      execute: async (ctx) => {
        log(`exec\tdelegate`);
        await gate;
        const out = await ctx.startWorkflow(child, { n: ctx.inputData.n });
        return { got: out.n };
      },
    }),
  )
  .commit();

const hog = createWorkflow({ id: 'hog', inputSchema: z.any(), outputSchema: z.any(), priority: 10 })
  .then(createStep({ id: 'hog', inputSchema: z.any(), outputSchema: z.any(), execute: async () => (log(`exec\thog`), forever()) }))
  .commit();

const store = env.STORE === 'postgres' ? postgresStore({ connectionString: env.PG_URL, schema: env.PG_SCHEMA }) : sqliteStore({ path: env.DB_PATH });
const workflows = env.ROLE === 'w1' ? { parent, child, hog } : { parent, child };
const options = { workflows, store, worker: { concurrency: env.ROLE === 'w1' ? 1 : 10, leaseMs: 1000, pollMs: 50 }, onError: () => {} };
// CRASH_CHILD_CREATED=1: the process kills itself right after the child run's creation committed (the
// second 'run:created': the first is the parent's), before the parent recorded which child it waits for.
let created = 0;
const seams = { crashPoints: { 'run:created': 1 }, random: () => (++created >= 2 ? 0 : 1) };
const weft = new Weft(env.CRASH_CHILD_CREATED === '1' ? withTestSeams(options, seams) : options);
await weft.start();

/** Waits until `runId` has an outcome, then logs it with the run's child runs and exits. */
async function finish(runId) {
  const r = await untilSettled(weft, runId);
  const links = await weft.getRunLinks(runId);
  const children = (await weft.listRuns({ workflowId: 'child' })).runs;
  const child = children[0] ? await weft.getRun(children[0].runId) : null;
  log(`final\t${r.status}\t${JSON.stringify(r.result ?? r.error)}\t${JSON.stringify(links.children.map((c) => c.runId))}\t${JSON.stringify(children.map((c) => c.runId))}\t${r.updatedAt.getTime()}\t${child?.updatedAt.getTime() ?? 0}`);
  await weft.stop();
  process.exit(0);
}

if (env.ROLE === 'crash-run') {
  const run = await parent.createRun({ runId: 'p-1' });
  await run.startAsync({ inputData: { n: 4 } });
  await pollUntil(async () => (await weft.getRun('p-1'))?.status === 'waiting', 10);
  log('parent-waiting');
  await forever(); // the test kills this process
} else if (env.ROLE === 'recover') {
  await finish('p-1');
} else if (env.ROLE === 'w1') {
  const run = await parent.createRun({ runId: 'p-mp' });
  await run.startAsync({ inputData: { n: 7 } });
  // Queued behind the parent (the one slot is taken); claimed first when the parent parks (priority 10).
  await (await hog.createRun({ runId: 'hog-1' })).startAsync({ inputData: {} });
  openGate();
  log('w1-started');
  await forever();
} else if (env.ROLE === 'w2') {
  log('w2-ready');
  await finish('p-mp');
}
