// @mastra/core 1.71 adapter, shared by mastra-memory (InMemoryStore) and mastra-libsql (LibSQLStore).
import { z } from 'zod';
import { Mastra } from '@mastra/core/mastra';
import { createWorkflow, createStep } from '@mastra/core/workflows';
import { STEPS } from '../lib/sizes.mjs';
import { hooks } from '../lib/hooks.mjs';

const delay = (ms) => new Promise((r) => setTimeout(r, ms));
const num = z.object({ n: z.number() });
const slowNum = z.object({ n: z.number(), delayMs: z.number() });

function buildWorkflows() {
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
  const one = createWorkflow({ id: 'one', inputSchema: z.object({ n: z.number(), fail: z.boolean() }), outputSchema: num })
    .then(
      createStep({
        id: 'one',
        inputSchema: z.object({ n: z.number(), fail: z.boolean() }),
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

/** @param {{ makeStorage: (store: string) => Promise<any> }} opts */
export function mastraAdapter({ makeStorage }) {
  let mastra;
  const wf = {};
  const count = async (id, status) =>
    (await wf[id].listWorkflowRuns({ status, perPage: 1, page: 0 })).total;
  return {
    peer: true,
    async init({ store }) {
      const storage = await makeStorage(store);
      mastra = new Mastra({ workflows: buildWorkflows(), storage, logger: false });
      for (const id of ['chain', 'slow', 'foreach', 'sleeper', 'one']) wf[id] = mastra.getWorkflow(id);
    },
    async runChain() {
      const run = await wf.chain.createRun();
      const res = await run.start({ inputData: { n: 0 } });
      if (res.status !== 'success' || res.result.n !== STEPS) throw new Error(`run ended ${res.status}: ${res.error?.message ?? ''}`);
    },
    async startChain() {
      const run = await wf.chain.createRun();
      return (await run.startAsync({ inputData: { n: 0 } })).runId;
    },
    async startSlow(delayMs) {
      const run = await wf.slow.createRun();
      return (await run.startAsync({ inputData: { n: 0, delayMs } })).runId;
    },
    async recover() {
      // Mastra 1.71 has no automatic recovery; its documented hook restarts runs whose snapshot says
      // running/waiting. Called without await: it restarts them one after another.
      mastra.restartAllActiveWorkflowRuns().catch((e) => console.error('restartAllActiveWorkflowRuns failed', e));
    },
    countSucceeded: (id) => count(id, 'success'),
    async countFinished(id) {
      return (await count(id, 'success')) + (await count(id, 'failed'));
    },
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
      await mastra?.shutdown?.();
    },
  };
}
