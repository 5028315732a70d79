// @mastra/core 1.71 adapter, shared by mastra-memory (InMemoryStore) and mastra-libsql (LibSQLStore).
import { Mastra } from '@mastra/core/mastra';
import { createWorkflow, createStep } from '@mastra/core/workflows';
import { STEPS } from '../lib/sizes.mjs';
import { buildWorkflows } from '../lib/workflows.mjs';



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
      mastra = new Mastra({ workflows: buildWorkflows({ createWorkflow, createStep }), storage, logger: false });
      for (const id of ['chain', 'slow', 'foreach', 'sleeper', 'one', 'chat']) wf[id] = mastra.getWorkflow(id);
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
    async runChat(turns) {
      const run = await wf.chat.createRun();
      const res = await run.start({ inputData: { messages: [], turns: 0, target: turns } });
      if (res.status !== 'success') throw new Error(`chat run ended ${res.status}: ${res.error?.message ?? ''}`);
      return res.result;
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
