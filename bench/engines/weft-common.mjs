// weft adapter, shared by weft-memory, weft-sqlite and weft-postgres. It loads the built library
// (`npm run build` at the project root writes ../../dist) and uses only its public, Mastra-style API.
import { CUSTOMERS, STEPS, SIZES, TAGS } from '../lib/sizes.mjs';
import { buildFlowWorkflows, buildWorkflows } from '../lib/workflows.mjs';


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
export function weftAdapter({ makeStore, openInsertFloor }) {
  let weft;
  const wf = {};
  const count = async (id, status) => (await wf[id].listWorkflowRuns({ status, perPage: 1, page: 0 })).total;
  return {
    peer: false,
    openInsertFloor: undefined,
    async init({ scenario, store }) {
      if (openInsertFloor) this.openInsertFloor = () => openInsertFloor(store);
      const lib = await loadWeft();
      // scenario g keeps every run of the load phase in flight at once
      const concurrency = scenario === 'g' ? Math.max(200, SIZES.full.g.runs) : 200;
      // Flow-controlled workflows only in scenario j: registered, they change every claim (throttles).
      const flow = scenario === 'j' ? buildFlowWorkflows(lib, SIZES.full.j) : {};
      weft = new lib.Weft({ workflows: { ...buildWorkflows(lib), tagged: taggedWorkflow(lib), ...flow }, store: makeStore(lib, store), worker: { concurrency } });
      await weft.start();
      for (const id of ['chain', 'slow', 'foreach', 'sleeper', 'one', 'chat', 'tagged', ...Object.keys(flow)]) wf[id] = weft.getWorkflow(id);
      // Scenario i: a run that waits for `bench.paid` by its key (weft's own API: peers lack it).
      const { z } = await import('zod');
      const take = lib.createStep({ id: 'take', inputSchema: z.object({ key: z.string() }), outputSchema: z.any(), execute: async ({ resumeData }) => resumeData });
      wf.waiter = lib
        .createWorkflow({ id: 'waiter', inputSchema: z.object({ key: z.string() }), outputSchema: z.any() })
        .waitForEvent('bench.paid', take, { match: { key: ({ inputData }) => inputData.key } })
        .commit();
      weft.register('waiter', wf.waiter);
    },
    async runChain() {
      const run = await wf.chain.createRun();
      const res = await run.start({ inputData: { n: 0 } });
      if (res.status !== 'success' || res.result?.n !== STEPS) {
        throw new Error(`run ended ${res.status}: ${res.error?.message ?? JSON.stringify(res.result)}`);
      }
    },
    async runFlow(id, k) {
      const run = await wf[id].createRun();
      const res = await run.start({ inputData: { n: 0, k } });
      if (res.status !== 'success' || res.result?.n !== STEPS) throw new Error(`${id} run ended ${res.status}: ${res.error?.message ?? ''}`);
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
    async startSleepers(n) {
      const items = Array.from({ length: n }, () => ({ inputData: { n: 0 } }));
      const results = await wf.sleeper.startMany(items, { concurrency: 1000 });
      const bad = results.find((r) => !r.ok);
      if (bad) throw new Error(`startMany refused an item: ${bad.error.message}`);
      return n;
    },
    async startWaiter(key) {
      const run = await wf.waiter.createRun();
      await run.startAsync({ inputData: { key } });
    },
    countWaiters: () => count('waiter', 'waiting'),
    countWaitersDone: () => count('waiter', 'success'),
    async sendEvent(key) {
      return (await weft.sendEvent('bench.paid', { key, data: { ok: true } })).delivered.length;
    },
    async seedOne(i, resourceId, fail) {
      const run = await wf.one.createRun({ resourceId });
      await run.startAsync({ inputData: { n: i, fail } });
    },
    async seedTagged(i) {
      const run = await wf.tagged.createRun();
      const metadata = { customerId: `c-${i % CUSTOMERS}`, plan: i % 2 === 1 ? 'pro' : 'free' };
      await run.startAsync({ inputData: { n: i }, metadata, tags: [`t-${i % TAGS}`] });
    },
    async searchRuns({ tags, metadata, status }) {
      const r = await weft.listRuns({ workflowId: 'tagged', tags, metadata, status, perPage: 20, page: 0 });
      return { rows: r.runs.length, total: r.total };
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

/** Scenario s's workflow: one step, with searchable metadata keys (weft only, so not in buildWorkflows). */
function taggedWorkflow(lib) {
  const n = { '~standard': { version: 1, vendor: 'bench', validate: (value) => ({ value }) } };
  return lib
    .createWorkflow({ id: 'tagged', inputSchema: n, outputSchema: n, searchable: ['customerId', 'plan'] })
    .then(lib.createStep({ id: 'tag', inputSchema: n, outputSchema: n, execute: async ({ inputData }) => inputData }))
    .commit();
}
