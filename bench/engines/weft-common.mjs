// weft adapter, shared by weft-memory, weft-sqlite and weft-postgres. It loads the built library
// (`npm run build` at the project root writes ../../dist) and uses only its public, Mastra-style API.
import { z } from 'zod';
import { STEPS, SIZES } from '../lib/sizes.mjs';
import { hooks } from '../lib/hooks.mjs';

const delay = (ms) => new Promise((r) => setTimeout(r, ms));
const num = z.object({ n: z.number() });
const slowNum = z.object({ n: z.number(), delayMs: z.number() });

export async function loadWeft() {
  // WEFT_DIST points at another build of the library (e.g. a branch built elsewhere)
  const url = process.env.WEFT_DIST
    ? new URL(process.env.WEFT_DIST, `file://${process.cwd()}/`)
    : new URL('../../dist/index.js', import.meta.url);
  try {
    return await import(url.href);
  } catch (e) {
    throw new Error(`cannot load weft from ${url.pathname} (run \`npm run build\` at the project root): ${e.message}`);
  }
}

function buildWorkflows({ createWorkflow, createStep }) {
  let chain = createWorkflow({ id: 'chain', inputSchema: num, outputSchema: num });
  for (let i = 0; i < STEPS; i++) {
    const last = i === STEPS - 1;
    chain = chain.then(
      createStep({
        id: `s${i}`,
        inputSchema: num,
        outputSchema: num,
        execute: async ({ inputData }) => {
          if (last) hooks.lastStep();
          return { n: inputData.n + 1 };
        },
      }),
    );
  }
  let slow = createWorkflow({ id: 'slow', inputSchema: slowNum, outputSchema: slowNum });
  for (let i = 0; i < STEPS; i++) {
    const last = i === STEPS - 1;
    slow = slow.then(
      createStep({
        id: `s${i}`,
        inputSchema: slowNum,
        outputSchema: slowNum,
        execute: async ({ inputData }) => {
          await delay(inputData.delayMs);
          if (last) hooks.lastStep();
          return { n: inputData.n + 1, delayMs: inputData.delayMs };
        },
      }),
    );
  }
  const inc = createStep({
    id: 'inc',
    inputSchema: num,
    outputSchema: num,
    execute: async ({ inputData }) => ({ n: inputData.n + 1 }),
  });
  const foreach = createWorkflow({ id: 'foreach', inputSchema: z.array(num), outputSchema: z.array(num) })
    .foreach(inc, { concurrency: 50 })
    .commit();
  const sleeper = createWorkflow({ id: 'sleeper', inputSchema: num, outputSchema: num })
    .sleep(3_600_000)
    .then(inc)
    .commit();
  const oneIn = z.object({ n: z.number(), fail: z.boolean() });
  const one = createWorkflow({ id: 'one', inputSchema: oneIn, outputSchema: num })
    .then(
      createStep({
        id: 'one',
        inputSchema: oneIn,
        outputSchema: num,
        execute: async ({ inputData }) => {
          hooks.lastStep();
          if (inputData.fail) throw new Error('planned failure');
          return { n: inputData.n + 1 };
        },
      }),
    )
    .commit();
  return { chain: chain.commit(), slow: slow.commit(), foreach, sleeper, one };
}

/** @param {{ makeStore: (lib: any, store: string) => any }} opts */
export function weftAdapter({ makeStore }) {
  let weft;
  const wf = {};
  const count = async (id, status) => (await wf[id].listWorkflowRuns({ status, perPage: 1, page: 0 })).total;
  return {
    peer: false,
    async init({ scenario, store }) {
      const lib = await loadWeft();
      // scenario g keeps every run of the load phase in flight at once
      const concurrency = scenario === 'g' ? Math.max(200, SIZES.full.g.runs) : 200;
      weft = new lib.Weft({ workflows: buildWorkflows(lib), store: makeStore(lib, store), worker: { concurrency } });
      await weft.start();
      for (const id of ['chain', 'slow', 'foreach', 'sleeper', 'one']) wf[id] = weft.getWorkflow(id);
    },
    async runChain() {
      const run = await wf.chain.createRun();
      const res = await run.start({ inputData: { n: 0 } });
      if (res.status !== 'success' || res.result?.n !== STEPS) {
        throw new Error(`run ended ${res.status}: ${res.error?.message ?? JSON.stringify(res.result)}`);
      }
    },
    async startChain() {
      const run = await wf.chain.createRun();
      return (await run.startAsync({ inputData: { n: 0 } })).runId;
    },
    async startSlow(delayMs) {
      const run = await wf.slow.createRun();
      return (await run.startAsync({ inputData: { n: 0, delayMs } })).runId;
    },
    // recovery: weft.start() recovers unfinished runs by itself
    countSucceeded: (id) => count(id, 'success'),
    async countFinished(id) {
      return (await count(id, 'success')) + (await count(id, 'failed'));
    },
    countWaiting: () => count('sleeper', 'waiting'),
    async runForeach(items) {
      const run = await wf.foreach.createRun();
      const res = await run.start({ inputData: items });
      if (res.status !== 'success') throw new Error(`foreach run ended ${res.status}: ${res.error?.message ?? ''}`);
      return res.result;
    },
    foreachNote: undefined,
    async startSleeper() {
      const run = await wf.sleeper.createRun();
      await run.startAsync({ inputData: { n: 0 } });
    },
    async seedOne(i, resourceId, fail) {
      const run = await wf.one.createRun({ resourceId });
      await run.startAsync({ inputData: { n: i, fail } });
    },
    async listRuns({ status, resourceId }) {
      const r = await wf.one.listWorkflowRuns({ status, resourceId, perPage: 20, page: 0 });
      return { rows: r.runs.length, total: r.total };
    },
    async close() {
      await weft?.stop();
    },
  };
}
