import { describe, expect, it } from 'vitest';
import { GroupCommitter } from '../../src/engine/group-commit.js';
import { LeaseLostError, StoreError, memoryStore, type Store } from '../../src/index.js';
import { NO_SEAMS } from '../../src/worker/seams.js';
import type { JournalEntry, NewRun, WriteOp } from '../../src/store/types.js';

/** The GroupCommitter on its own: batching, per-run fencing, failures, drain. */

function newRun(runId: string, owner: string | null = 'me'): NewRun {
  return { runId, workflowId: 'wf', status: owner ? 'running' : 'pending', resourceId: null, input: null, state: null, requestContext: null, tracing: null, priority: 0, concurrencyKey: null, owner, leaseExpiresAt: owner ? 10_000 : null, now: 1 };
}

function row(runId: string, path: string): JournalEntry {
  return { runId, path, kind: 'step', status: 'success', attempt: 1, input: null, output: '1', error: null, meta: null, startedAt: 1, endedAt: 2 };
}

/** A store that records each write() call's batch and can be made to fail. */
function recording(inner: Store) {
  const batches: WriteOp[][] = [];
  let fail: unknown = null;
  const store = Object.create(inner) as Store;
  store.write = async (ops) => {
    batches.push(ops);
    if (fail) throw fail;
    return inner.write(ops);
  };
  return { store, batches, failWith: (e: unknown) => (fail = e) };
}

const RETRY = { maxMs: 0, baseMs: 1 };

describe('GroupCommitter', () => {
  it('writes everything queued in one turn of the event loop as one batch, and resolves each caller once it committed', async () => {
    const inner = memoryStore();
    const { store, batches } = recording(inner);
    const gc = new GroupCommitter(store, RETRY, NO_SEAMS);
    const [a] = await inner.createRuns([newRun('a')]);
    const writes = ['x', 'y', 'z'].map((p) => gc.write({ type: 'journal', epoch: a!.run.leaseEpoch, entry: row('a', p) }));
    await Promise.all(writes);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(3);
    expect((await inner.loadJournal('a')).map((e) => e.path)).toEqual(['x', 'y', 'z']);
  });

  it('a batch that reaches maxBatch goes out at once, and all writes queued while it commits form the next batch', async () => {
    const inner = memoryStore();
    const { store, batches } = recording(inner);
    const gc = new GroupCommitter(store, RETRY, NO_SEAMS, 2);
    const [a] = await inner.createRuns([newRun('a')]);
    const op = (p: string) => gc.write({ type: 'journal', epoch: a!.run.leaseEpoch, entry: row('a', p) });
    await Promise.all([op('1'), op('2'), op('3'), op('4'), op('5')]);
    expect(batches.map((b) => b.length)).toEqual([2, 3]);
  });

  it('writeAll keeps its ops in one batch, even where maxBatch would cut between them', async () => {
    const inner = memoryStore();
    const { store, batches } = recording(inner);
    const gc = new GroupCommitter(store, RETRY, NO_SEAMS, 2);
    const [a] = await inner.createRuns([newRun('a')]);
    const epoch = a!.run.leaseEpoch;
    const first = gc.write({ type: 'journal', epoch, entry: row('a', '1') });
    const pair = gc.writeAll([
      { type: 'journal', epoch, entry: row('a', '2') },
      { type: 'run', runId: 'a', epoch, patch: { requestContext: '{"k":1}' }, now: 3 },
    ]);
    await Promise.all([first, pair]);
    expect(batches.map((b) => b.length)).toEqual([3]);
    expect((await inner.loadRun('a'))?.requestContext).toBe('{"k":1}');
  });

  it('fences per run: a stale epoch rejects that run\'s writes with LeaseLostError, the others commit', async () => {
    const inner = memoryStore();
    const gc = new GroupCommitter(inner, RETRY, NO_SEAMS);
    const [a, b] = await inner.createRuns([newRun('a'), newRun('b')]);
    const stale = gc.write({ type: 'journal', epoch: a!.run.leaseEpoch + 1, entry: row('a', 'late') });
    const fine = gc.write({ type: 'journal', epoch: b!.run.leaseEpoch, entry: row('b', 'ok') });
    await expect(stale).rejects.toBeInstanceOf(LeaseLostError);
    await expect(fine).resolves.toBeUndefined();
    expect(await inner.loadJournal('a')).toEqual([]);
    expect((await inner.loadJournal('b')).map((e) => e.path)).toEqual(['ok']);
  });

  it('a failed batch rejects every caller in it with a StoreError, and the next batch is tried afresh', async () => {
    const inner = memoryStore();
    const { store, failWith } = recording(inner);
    const gc = new GroupCommitter(store, RETRY, NO_SEAMS);
    const [a] = await inner.createRuns([newRun('a')]);
    failWith(new Error('disk on fire'));
    const first = gc.write({ type: 'journal', epoch: a!.run.leaseEpoch, entry: row('a', '1') });
    await expect(first).rejects.toBeInstanceOf(StoreError);
    await expect(first).rejects.toMatchObject({ message: 'store write failed' });
    failWith(null);
    await gc.write({ type: 'journal', epoch: a!.run.leaseEpoch, entry: row('a', '2') });
    expect((await inner.loadJournal('a')).map((e) => e.path)).toEqual(['2']);
  });

  it('creates runs in batches, reporting created=false for an id that exists', async () => {
    const inner = memoryStore();
    const gc = new GroupCommitter(inner, RETRY, NO_SEAMS);
    const results = await Promise.all([gc.create(newRun('r1')), gc.create(newRun('r2')), gc.create(newRun('r1'))]);
    expect(results.map((r) => [r.run.runId, r.created])).toEqual([
      ['r1', true],
      ['r2', true],
      ['r1', false],
    ]);
  });

  it('drain() resolves once everything queued before it is committed', async () => {
    const inner = memoryStore();
    const gc = new GroupCommitter(inner, RETRY, NO_SEAMS);
    const [a] = await inner.createRuns([newRun('a')]);
    let done = 0;
    for (let i = 0; i < 10; i++) void gc.write({ type: 'journal', epoch: a!.run.leaseEpoch, entry: row('a', `p${i}`) }).then(() => done++);
    await gc.drain();
    expect((await inner.loadJournal('a')).length).toBe(10);
    // Callers' promises settled before drain resolved (their continuations run in the same turn).
    await Promise.resolve();
    expect(done).toBe(10);
  });

  it('tells the seams what committed, without the fenced ops, and passes the commit crash points', async () => {
    const inner = memoryStore();
    const seen: string[] = [];
    const points: string[] = [];
    const gc = new GroupCommitter(inner, RETRY, { ...NO_SEAMS, committed: (ops) => seen.push(...ops.map((o) => (o.type === 'journal' ? o.entry.path : 'run'))), crash: (p) => points.push(p) });
    const [a, b] = await inner.createRuns([newRun('a'), newRun('b')]);
    await Promise.allSettled([
      gc.write({ type: 'journal', epoch: a!.run.leaseEpoch, entry: row('a', 'kept') }),
      gc.write({ type: 'journal', epoch: b!.run.leaseEpoch + 5, entry: row('b', 'fenced') }),
    ]);
    expect(seen).toEqual(['kept']);
    expect(points).toEqual(['commit:before', 'commit:after']);
  });
});
