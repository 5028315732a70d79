import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStep, createWorkflow, shardedStore, sqliteStore, Weft, type ShardBy } from '../../src/index.js';
import { deferred, N, until } from './helpers.js';

const wefts: Weft[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(wefts.splice(0).map((w) => w.stop({ timeoutMs: 300 })));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Two SQLite files as two shards; a new engine on the same files is a restart. */
function shardFiles(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'weft-shards-'));
  dirs.push(dir);
  return [join(dir, 'a.db'), join(dir, 'b.db')];
}

const shards = (files: string[], by: ShardBy) => shardedStore(files.map((path) => sqliteStore({ path })), { by });

describe('an engine on a sharded store', () => {
  it('runs spread over both shards complete, survive a restart, and one listing returns them all', async () => {
    const files = shardFiles();
    const gate = deferred();
    let firstEngine = true;
    const calls = { held: 0 };
    const build = () =>
      createWorkflow({ id: 'spread', inputSchema: N, outputSchema: N })
        .then(createStep({ id: 'add', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) }))
        .then(
          createStep({
            id: 'held',
            inputSchema: N,
            outputSchema: N,
            execute: async ({ inputData }) => {
              calls.held++;
              // The first engine stops while every run is inside this step: the restarted one finishes them.
              if (firstEngine) await gate.promise;
              return { n: inputData.n * 10 };
            },
          }),
        )
        .commit();

    const first = new Weft({ workflows: { wf: build() }, store: shards(files, 'runId'), onError: () => {}, worker: { leaseMs: 60_000 } });
    wefts.push(first);
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const run = await first.getWorkflow('wf').createRun();
      await run.startAsync({ inputData: { n: i } });
      ids.push(run.runId);
    }
    await until(() => calls.held === 24, 10_000, 'every run to reach the held step');
    await first.stop({ timeoutMs: 100 });
    firstEngine = false;

    // The runs are on both shards, each where its id routes.
    const direct = await Promise.all(files.map(async (path) => {
      const s = sqliteStore({ path });
      await s.open();
      const n = (await s.listRuns({ workflowId: 'spread' })).total;
      await s.close();
      return n;
    }));
    expect(direct[0]! + direct[1]!).toBe(24);
    expect(direct.every((n) => n > 0)).toBe(true);

    const second = new Weft({ workflows: { wf: build() }, store: shards(files, 'runId'), onError: () => {}, worker: { pollMs: 20 } });
    wefts.push(second);
    await second.start();
    const wf = second.getWorkflow('wf');
    for (const [i, runId] of ids.entries()) {
      const done = await until(async () => {
        const r = await wf.getWorkflowRunExecutionResult(runId);
        return r?.status === 'success' ? r : null;
      }, 10_000, `run ${runId} to succeed`);
      expect(done.result).toEqual({ n: (i + 1) * 10 });
    }
    gate.resolve();

    // One listing over both shards, newest first, paged with its cursor.
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await second.listRuns({ workflowId: 'spread', perPage: 5, ...(cursor ? { cursor } : {}) });
      expect(page.total).toBe(24);
      seen.push(...page.runs.map((r) => r.runId));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen.sort()).toEqual([...ids].sort());
  });

  it("by: 'workflow' starts every run of a workflow on its workflow's shard, and its concurrency limit holds", async () => {
    const files = shardFiles();
    const store = shards(files, 'workflow');
    let running = 0;
    let most = 0;
    const gate = deferred();
    const wf = createWorkflow({ id: 'limited', inputSchema: N, outputSchema: N, concurrency: { limit: 2 } })
      .then(
        createStep({
          id: 'count',
          inputSchema: N,
          outputSchema: N,
          execute: async ({ inputData }) => {
            running++;
            most = Math.max(most, running);
            await gate.promise;
            running--;
            return inputData;
          },
        }),
      )
      .commit();
    const weft = new Weft({ workflows: { wf }, store, onError: () => {}, worker: { pollMs: 20 } });
    wefts.push(weft);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const run = await weft.getWorkflow('wf').createRun();
      await run.startAsync({ inputData: { n: i } });
      ids.push(run.runId);
    }
    const home = store.router.homeOf('limited');
    expect(ids.every((id) => store.router.ofRun(id) === home)).toBe(true);
    await until(() => running === 2, 5_000, 'two runs to hold the limit');
    gate.resolve();
    for (const runId of ids) {
      await until(async () => (await weft.getWorkflow('wf').getWorkflowRunExecutionResult(runId))?.status === 'success', 10_000, `run ${runId}`);
    }
    expect(most).toBe(2);
  });

  it('a child run started by ctx.startWorkflow lives on its parent\'s shard, so its outcome wakes the parent', async () => {
    const files = shardFiles();
    const store = shards(files, 'runId');
    const child = createWorkflow({ id: 'double', inputSchema: N, outputSchema: N })
      .then(createStep({ id: 'x2', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n * 2 }) }))
      .commit();
    const parent = createWorkflow({ id: 'parent', inputSchema: N, outputSchema: N })
      .then(createStep({ id: 'call', inputSchema: N, outputSchema: N, execute: async (ctx) => (await ctx.startWorkflow(child, { n: ctx.inputData.n })) as { n: number } }))
      .commit();
    const weft = new Weft({ workflows: { parent, child }, store, onError: () => {}, worker: { pollMs: 20 } });
    wefts.push(weft);
    await weft.start();
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const run = await weft.getWorkflow('parent').createRun();
      await run.startAsync({ inputData: { n: i } });
      ids.push(run.runId);
    }
    const shardsUsed = new Set<number>();
    for (const [i, runId] of ids.entries()) {
      const done = await until(async () => {
        const r = await weft.getWorkflow('parent').getWorkflowRunExecutionResult(runId);
        return r?.status === 'success' ? r : null;
      }, 10_000, `parent ${runId} to succeed`);
      expect(done.result).toEqual({ n: i * 2 });
      const links = await weft.getRunLinks(runId);
      expect(links?.children).toHaveLength(1);
      const childId = links!.children[0]!.runId;
      expect(store.router.ofRun(childId)).toBe(store.router.ofRun(runId));
      // The same derivation gives the same id (a replayed parent attaches to the child it started).
      expect(store.colocatedRunId(runId, childId.replace(/~\d+$/, ''))).toBe(childId);
      shardsUsed.add(store.router.ofRun(runId));
    }
    expect(shardsUsed.size).toBe(2);
  });
});
