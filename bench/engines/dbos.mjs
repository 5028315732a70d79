// @dbos-inc/dbos-sdk 5.3 on the local PostgreSQL: every step is a registered DBOS step (checkpointed
// in the system database), every workflow a registered DBOS workflow.
import pg from 'pg';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { runEngine } from '../lib/harness.mjs';
import { freshDatabase, dropDatabase, benchDb } from '../lib/pg.mjs';
import { STEPS } from '../lib/sizes.mjs';
import { hooks } from '../lib/hooks.mjs';
import { openInsertFloor } from '../lib/pg-floor.mjs';

const DB = benchDb('weft_bench_dbos');
const delay = (ms) => new Promise((r) => setTimeout(r, ms));
// Scenario i: how many waiter workflows have reached their DBOS.recv (counted in this process).
const waiting = { entered: 0 };
const WAITER_TIMEOUT_S = 24 * 3600;
const waiterId = (key) => `waiter-${key}`;

function register() {
  const steps = [];
  const slowSteps = [];
  for (let i = 0; i < STEPS; i++) {
    const last = i === STEPS - 1;
    steps.push(
      DBOS.registerStep(
        async (v) => {
          if (last) hooks.lastStep();
          return { n: v.n + 1 };
        },
        { name: `s${i}` },
      ),
    );
    slowSteps.push(
      DBOS.registerStep(
        async (v) => {
          await delay(v.delayMs);
          if (last) hooks.lastStep();
          return { n: v.n + 1, delayMs: v.delayMs };
        },
        { name: `slow-s${i}` },
      ),
    );
  }
  const inc = DBOS.registerStep(async (v) => ({ n: v.n + 1 }), { name: 'inc' });
  const one = DBOS.registerStep(
    async (v) => {
      hooks.lastStep();
      if (v.fail) throw new Error('planned failure');
      return { n: v.n + 1 };
    },
    { name: 'one' },
  );
  return {
    chain: DBOS.registerWorkflow(
      async (input) => {
        let v = input;
        for (const s of steps) v = await s(v);
        return v;
      },
      { name: 'chain' },
    ),
    slow: DBOS.registerWorkflow(
      async (input) => {
        let v = input;
        for (const s of slowSteps) v = await s(v);
        return v;
      },
      { name: 'slow' },
    ),
    // DBOS has no foreach: the natural equivalent is chunks of `concurrency` steps run with Promise.all
    // (step ids are assigned in call order, so the chunked form stays deterministic on replay).
    foreach: DBOS.registerWorkflow(
      async (items, concurrency) => {
        const out = [];
        for (let i = 0; i < items.length; i += concurrency) {
          out.push(...(await Promise.all(items.slice(i, i + concurrency).map((it) => inc(it)))));
        }
        return out;
      },
      { name: 'foreach' },
    ),
    sleeper: DBOS.registerWorkflow(
      async (input) => {
        await DBOS.sleep(3_600_000);
        return inc(input);
      },
      { name: 'sleeper' },
    ),
    one: DBOS.registerWorkflow(async (input) => one(input), { name: 'one' }),
    // Scenario i: DBOS's counterpart of a run waiting for an event by key is a workflow (its id carries
    // the key) blocked in DBOS.recv on a topic; the event is DBOS.send to that workflow id and topic.
    waiter: DBOS.registerWorkflow(
      async () => {
        waiting.entered++;
        const msg = await DBOS.recv('paid', WAITER_TIMEOUT_S);
        if (msg === null) throw new Error('recv timed out');
        return inc({ n: 0 });
      },
      { name: 'waiter' },
    ),
  };
}

function dbosAdapter() {
  let wf;
  let pool; // the bench's own connection, used only to count finished runs
  const count = async (name, statuses) =>
    Number(
      (
        await pool.query('SELECT count(*) AS c FROM dbos.workflow_status WHERE name = $1 AND status = ANY($2)', [
          name,
          statuses,
        ])
      ).rows[0].c,
    );
  return {
    peer: true,
    async init({ store }) {
      wf = register();
      DBOS.setConfig({
        name: 'weft-bench',
        systemDatabaseUrl: store,
        applicationVersion: 'weft-bench-1', // same in every process, so a restarted process recovers runs
        logLevel: 'error',
      });
      await DBOS.launch();
      pool = new pg.Pool({ connectionString: store, max: 2 });
      this.openInsertFloor = () => openInsertFloor(store);
    },
    async runChain() {
      const chain = wf.chain; // a registered workflow must not be called as a method (DBOS checks `this`)
      const r = await chain({ n: 0 });
      if (r.n !== STEPS) throw new Error(`bad result ${JSON.stringify(r)}`);
    },
    async startChain() {
      return (await DBOS.startWorkflow(wf.chain)({ n: 0 })).workflowID;
    },
    async startSlow(delayMs) {
      return (await DBOS.startWorkflow(wf.slow)({ n: 0, delayMs })).workflowID;
    },
    // recovery: DBOS.launch() recovers this executor's pending workflows by itself
    countSucceeded: (name) => count(name, ['SUCCESS']),
    countFinished: (name) => count(name, ['SUCCESS', 'ERROR']),
    async runForeach(items, concurrency) {
      const foreach = wf.foreach;
      return foreach(items, concurrency);
    },
    foreachNote: 'emulated: chunks of 50 DBOS steps with Promise.all',
    async startSleeper() {
      await DBOS.startWorkflow(wf.sleeper)({ n: 0 });
    },
    async seedOne(i, resourceId, fail) {
      // authenticatedUser is the closest thing DBOS records to a resource id, and it can filter on it
      await DBOS.startWorkflow(wf.one, { authenticatedUser: resourceId })({ n: i, fail });
    },
    async listRuns({ status, resourceId }) {
      const rows = await DBOS.listWorkflows({
        workflowName: 'one',
        status: status === 'failed' ? 'ERROR' : undefined,
        authenticatedUser: resourceId,
        limit: 20,
        sortDesc: true,
      });
      return { rows: rows.length, total: undefined };
    },
    async startWaiter(key) {
      await DBOS.startWorkflow(wf.waiter, { workflowID: waiterId(key) })();
    },
    countWaiters: async () => waiting.entered,
    countWaitersDone: () => count('waiter', ['SUCCESS']),
    // DBOS.send addresses one workflow by id and does not report delivery: 1 when it returned.
    async sendEvent(key) {
      await DBOS.send(waiterId(key), { ok: true }, 'paid');
      return 1;
    },
    sendNote: 'DBOS.send to the waiting workflow id (DBOS has no matching by key: the sender must know the workflow id); each waiter is an in-memory workflow blocked in DBOS.recv',
    async close() {
      await pool?.end();
      await DBOS.shutdown();
    },
  };
}

await runEngine({
  name: 'dbos',
  importSpecifier: '@dbos-inc/dbos-sdk',
  file: new URL(import.meta.url).pathname,
  prepareStore: async () => freshDatabase(DB),
  cleanupStore: async () => dropDatabase(DB),
  createAdapter: dbosAdapter,
});

