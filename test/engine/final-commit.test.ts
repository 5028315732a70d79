import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Weft, createStep, createWorkflow, memoryStore, type Store } from '../../src/index.js';
import type { WriteOp, WriteOutcome } from '../../src/store/types.js';
import { waitUntil } from '../support/wait.js';

/**
 * The last step of a workflow is committed with the run's outcome (one commit, not two): a run of n
 * steps costs its creation plus n write batches. Its events wait for that commit.
 */

const num = z.object({ n: z.number() });
const inc = (id: string) => createStep({ id, inputSchema: num, outputSchema: num, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });

function chain(id: string) {
  return createWorkflow({ id, inputSchema: num, outputSchema: num }).then(inc('a')).then(inc('b')).then(inc('c')).commit();
}

/** A memory store whose write batches are recorded; `fence` makes it refuse batches that hold a path. */
function recording() {
  const inner = memoryStore();
  const batches: string[][] = [];
  let fencePath: string | null = null;
  const store = Object.create(inner) as Store;
  const record = (ops: WriteOp[]) => {
    batches.push(ops.map((o) => (o.type === 'journal' ? o.entry.path : o.type === 'run' ? `run:${o.patch.status ?? '-'}` : o.type)));
  };
  const fenced = (ops: WriteOp[]): WriteOutcome | null => {
    const hit = ops.find((o) => o.type === 'journal' && o.entry.path === fencePath);
    return hit && hit.type === 'journal' ? { fenced: [hit.entry.runId] } : null;
  };
  store.write = async (ops) => {
    record(ops);
    return fenced(ops) ?? inner.write(ops);
  };
  store.writeSettled = async (ops) => {
    record(ops);
    return fenced(ops) ?? inner.writeSettled!(ops);
  };
  return { store, batches, fence: (path: string) => (fencePath = path) };
}

const wefts: Weft[] = [];
afterEach(async () => {
  await Promise.all(wefts.splice(0).map((w) => w.stop()));
});

describe('the final step commits with the outcome', () => {
  it('a 3-step run writes 3 batches, the last holding the final row and the outcome; its events follow that commit', async () => {
    const { store, batches } = recording();
    const wf = chain('final-three');
    const weft = new Weft({ workflows: { wf }, store });
    wefts.push(weft);
    await weft.start();
    const run = await wf.createRun();
    const events: string[] = [];
    run.watch((e) => {
      const id = (e.payload as { id?: string } | undefined)?.id;
      // When the final step's result is announced, its row and the outcome are committed already.
      events.push(`${e.type}${id ? `:${id}` : ''}@${batches.length}`);
    });
    const res = await run.start({ inputData: { n: 0 } });
    expect(res.status === 'success' ? res.result : res).toEqual({ n: 3 });
    expect(batches).toEqual([['a'], ['b'], ['c', 'run:success']]);
    expect(events).toContain('workflow-step-result:c@3');
    expect(events.indexOf('workflow-step-result:c@3')).toBeLessThan(events.indexOf('workflow-finish@3'));
    const journal = await store.loadJournal(run.runId);
    expect(journal.map((e) => [e.path, e.status])).toEqual([
      ['a', 'success'],
      ['b', 'success'],
      ['c', 'success'],
    ]);
  });

  it('when that commit is refused (the run was taken over), the final result is never announced', async () => {
    const { store, batches, fence } = recording();
    fence('c');
    const wf = chain('final-fenced');
    const weft = new Weft({ workflows: { wf }, store, onError: () => {} });
    wefts.push(weft);
    await weft.start();
    const run = await wf.createRun();
    const results: string[] = [];
    run.watch((e) => {
      if (e.type === 'workflow-step-result') results.push((e.payload as { id: string }).id);
    });
    await run.startAsync({ inputData: { n: 0 } });
    await waitUntil(() => batches.some((b) => b.includes('c')), { message: 'the final batch' });
    // Lost: nothing of the final batch was written, and its step result was dropped with it.
    expect(batches.find((b) => b.includes('c'))).toEqual(['c', 'run:success']);
    expect(results).toEqual(['a', 'b']);
    expect((await store.loadJournal(run.runId)).map((e) => e.path)).toEqual(['a', 'b']);
    expect((await store.loadRun(run.runId))?.status).toBe('running');
  });
});
