import { describe, expect, it } from 'vitest';
import { GroupCommitter } from '../../src/engine/group-commit.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import type { WriteOp, WriteOutcome } from '../../src/store/types.js';
import { T0, entry, newRun } from './contract-helpers.js';
import { outcome, waitUntil } from './pg-helpers.js';
import { NO_SEAMS } from '../../src/worker/seams.js';

/**
 * How the group committer consumes a store's per-run outcomes (writeSettled): a deferred run's writes
 * are retried later, in order, with newer writes of that run kept behind them, while other runs'
 * writes resolve at once; a run the store refuses fails alone.
 */
class LockableStore extends MemoryStore {
  readonly locked = new Set<string>();
  readonly refused = new Set<string>();
  calls = 0;
  /** While set, a batch waits here after it was sent (to queue writes while it is in flight). */
  gate: Promise<void> | null = null;
  override async writeSettled(ops: WriteOp[]): Promise<WriteOutcome> {
    this.calls++;
    await this.gate;
    const runOf = (op: WriteOp) => (op.type === 'journal' ? op.entry.runId : op.runId);
    const deferred = [...new Set(ops.map(runOf).filter((id) => this.locked.has(id)))];
    const failed = [...new Set(ops.map(runOf).filter((id) => this.refused.has(id)))].map((runId) => ({ runId, error: new Error(`refused ${runId}`) }));
    const out = await super.writeSettled(ops.filter((op) => !this.locked.has(runOf(op)) && !this.refused.has(runOf(op))));
    return { ...out, ...(deferred.length ? { deferred } : {}), ...(failed.length ? { failed } : {}) };
  }
}

async function setup(maxMs = 60_000) {
  const store = new LockableStore();
  const committer = new GroupCommitter(store, { maxMs, baseMs: 1 }, NO_SEAMS);
  const runs = [];
  for (const id of ['x', 'y', 'z']) runs.push((await store.createRun(newRun({ runId: id, status: 'running', owner: 'w', leaseExpiresAt: T0 + 1000 }))).run);
  const row = (runId: string, path: string) => committer.write({ type: 'journal', epoch: 1, entry: entry(runId, path) });
  return { store, committer, row };
}

describe('group commit with per-run outcomes', () => {
  it('holds a deferred run back, keeps its writes in order, and lets the others through', async () => {
    const { store, committer, row } = await setup();
    store.locked.add('x');
    let release!: () => void;
    store.gate = new Promise<void>((r) => (release = r));
    let xDone = 0;
    const x1 = row('x', 'one').then(() => (xDone += 1));
    const y1 = row('y', 'one');
    await waitUntil(() => store.calls === 1, 'the first batch to be in flight');
    // Queued while the batch that gets x deferred is in flight, then while x is held: both stay behind
    // x's first write, never before it.
    const x2 = row('x', 'two').then(() => (xDone += 10));
    store.gate = null;
    release();
    await y1;
    const x3 = row('x', 'three').then(() => (xDone += 100));
    await row('y', 'two');
    const callsWhileHeld = store.calls;
    await waitUntil(() => store.calls >= callsWhileHeld + 2, 'x to be retried at least twice');
    expect(xDone).toBe(0);
    expect(await store.loadJournal('x')).toEqual([]);
    store.locked.delete('x');
    await Promise.all([x1, x2, x3]);
    expect(xDone).toBe(111);
    expect((await store.loadJournal('x')).map((e) => e.path)).toEqual(['one', 'two', 'three']);
    expect((await store.loadJournal('y')).map((e) => e.path)).toEqual(['one', 'two']);
    await committer.drain();
  });

  it('fails a refused run alone, and gives up on a run held longer than the retry policy', async () => {
    const { store, row } = await setup(50);
    store.refused.add('z');
    store.locked.add('x');
    const [z, y, x] = await Promise.all([outcome(row('z', 'a')), outcome(row('y', 'a')), outcome(row('x', 'a'))]);
    // A failure the store reports in its own words reaches the caller as a StoreError, with it as the cause.
    expect(z.ok ? null : z.error).toMatchObject({ code: 'STORE_ERROR' });
    expect(z.ok ? null : String(((z.error as Error).cause as Error).message)).toBe('refused z');
    expect(y.ok).toBe(true);
    expect(x.ok ? null : x.error).toMatchObject({ code: 'STORE_LOCKED', retryable: true });
  });
});
