// weft adapter, shared by weft-memory, weft-sqlite and weft-postgres. It loads the built library
// (`npm run build` at the project root writes ../../dist) and uses only its public, Mastra-style API.
import { STEPS, SIZES } from '../lib/sizes.mjs';
import { buildWorkflows } from '../lib/workflows.mjs';


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
      for (const id of ['chain', 'slow', 'foreach', 'sleeper', 'one', 'chat']) wf[id] = weft.getWorkflow(id);
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
      await weft?.stop();
    },
  };
}
