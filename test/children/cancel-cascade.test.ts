import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, shardedStore, sqliteStore, Weft, type Store } from '../../src/index.js';
import type { NewRun } from '../../src/store/types.js';
import { waitUntil } from '../support/wait.js';
import { useStoreKinds } from '../support/store-kinds.js';
import { newRun } from '../store/contract-helpers.js';

/**
 * The durable cancel cascade on every store (docs/durability.md, "Canceling a tree of runs"), set up the
 * way a canceler that died midway leaves the store: a canceled run still held by a dead owner, children
 * not reached yet. The crash itself, with real processes, is cancel-crash.test.ts.
 */

const kinds = useStoreKinds('cc');
const STORES: Record<string, () => Store> = {
  ...kinds.stores,
  'sharded SQLite': () => shardedStore([sqliteStore({ path: kinds.file() }), sqliteStore({ path: kinds.file() })], { by: 'runId' }),
};
const wefts = kinds.wefts;

let ids = 0;

/** A one-step workflow that counts its executions; `gate` holds the step until opened. */
function counted() {
  const calls = { count: 0 };
  let open: () => void = () => {};
  const gate = new Promise<void>((r) => (open = r));
  const wf = createWorkflow({ id: `work-${++ids}`, inputSchema: z.any(), outputSchema: z.any() })
    .then(
      createStep({
        id: 's',
        inputSchema: z.any(),
        outputSchema: z.any(),
        execute: async ({ abortSignal }) => {
          calls.count++;
          await Promise.race([gate, new Promise((r) => abortSignal.addEventListener('abort', r))]);
          return { done: true };
        },
      }),
    )
    .commit();
  return { wf, calls, open };
}

describe.each(Object.keys(STORES))('the cancel cascade on %s', (kind) => {
  const T = Date.now();
  /** A run as the store holds it; a child (with `parent`) gets an id on its parent's shard. */
  const put = async (store: Store, workflowId: string, over: Partial<NewRun> & { parent?: { runId: string; path: string } } = {}) => {
    const candidate = `cc-${++ids}`;
    const runId = over.parent && store.colocatedRunId ? store.colocatedRunId(over.parent.runId, candidate) : candidate;
    await store.createRun(newRun({ runId, workflowId, input: '{}', now: T, ...over }));
    return runId;
  };
  const start = async (store: Store, work: ReturnType<typeof counted>) => {
    const weft = new Weft({ store, workflows: { work: work.wf }, worker: { pollMs: 20, leaseMs: 1000 } });
    wefts.push(weft);
    await weft.start();
    return weft;
  };
  const canceled = (weft: Weft, runId: string) =>
    waitUntil(async () => (await weft.getRun(runId))?.status === 'canceled', { message: `run ${runId} canceled` });

  it('a child claimed under a canceled run is canceled instead of executed, even two levels down', async () => {
    const work = counted();
    const store = STORES[kind]!();
    await store.open();
    const parent = await put(store, work.wf.id);
    const child = await put(store, work.wf.id, { parent: { runId: parent, path: 's@child0' } });
    const grandchild = await put(store, work.wf.id, { parent: { runId: child, path: 's@child0' } });
    // Canceled in the store alone, as by a canceler that died before its cascade began (no hold here:
    // the claim's own check is what this test is about).
    await store.cancelRun(parent, T);
    const weft = await start(store, work);
    await canceled(weft, child);
    await canceled(weft, grandchild);
    expect(work.calls.count).toBe(0);
  });

  it("a canceled run its dead canceler still holds is taken over: the cascade reaches children running elsewhere", async () => {
    const work = counted();
    const store = STORES[kind]!();
    await store.open();
    const parent = await put(store, work.wf.id);
    // Executing on another worker, which is alive (a lease far ahead): no worker here may claim them.
    const far = T + 3_600_000;
    const child = await put(store, work.wf.id, { status: 'running', owner: 'elsewhere', leaseExpiresAt: far, parent: { runId: parent, path: 's@child0' } });
    const grandchild = await put(store, work.wf.id, { status: 'running', owner: 'elsewhere', leaseExpiresAt: far, parent: { runId: child, path: 's@child0' } });
    // The canceler committed the parent's cancel (held by it: its cascade not done) and died.
    const held = await store.cancelRun(parent, T, { owner: 'dead-canceler', leaseExpiresAt: T - 1 });
    expect(held?.owner).toBe('dead-canceler');
    const weft = await start(store, work);
    await canceled(weft, child);
    await canceled(weft, grandchild);
    // The cascade's record: the taken-over parent (and every run the cascade canceled) released.
    await waitUntil(async () => (await store.loadRun(parent))?.owner === null, { message: 'the parent released' });
    for (const id of [child, grandchild]) expect((await store.loadRun(id))?.owner).toBeNull();
    expect(work.calls.count).toBe(0);
  });

  it('a cancel through the engine leaves the canceled tree released', async () => {
    const work = counted();
    const spawn = createWorkflow({ id: `spawn-${++ids}`, inputSchema: z.any(), outputSchema: z.any() })
      .then(createStep({ id: 's', inputSchema: z.any(), outputSchema: z.any(), execute: async (ctx) => ctx.startWorkflow(work.wf, {}) }))
      .commit();
    const store = STORES[kind]!();
    const weft = new Weft({ store, workflows: { work: work.wf, spawn }, worker: { pollMs: 20 } });
    wefts.push(weft);
    const run = await spawn.createRun();
    await run.startAsync({ inputData: {} });
    const childId = await waitUntil(async () => (await weft.getRun(run.runId))?.waitingForChildren?.[0]?.runId, { message: 'the child started' });
    await waitUntil(() => work.calls.count === 1, { message: 'the child step runs' });
    await weft.cancelRun(run.runId);
    for (const id of [run.runId, childId]) {
      const r = await store.loadRun(id);
      expect([r?.status, r?.owner]).toEqual(['canceled', null]);
    }
  });
});
