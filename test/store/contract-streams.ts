import { describe, expect, it } from 'vitest';
import { STREAM_RESET, type NewChunk, type Store, type StreamRow, type WriteOp } from '../../src/store/types.js';
import { T0, entry, runIn } from './contract-helpers.js';

const chunk = (path: string, n: number, attempt = 1): NewChunk => ({ path, step: path, attempt, type: 'workflow-step-output', payload: JSON.stringify({ id: path, output: n }) });
const chunks = (runId: string, epoch: number, list: NewChunk[]): WriteOp => ({ type: 'chunks', runId, epoch, now: T0, chunks: list });
const outputs = (rows: StreamRow[]) => rows.filter((r) => r.type !== STREAM_RESET).map((r) => (JSON.parse(r.payload) as { output: number }).output);

/**
 * Run streams (docs/durability.md, "Run streams"): chunks are written with the batch, read in order from
 * any position, share one order with the journal rows, are voided by a retry or a new owner (with a
 * reset naming them), and go with the run.
 */
export function streamContract(f: { store: Store }): void {
  describe('run streams', () => {
    it('appends chunks in order and reads them from any position, in pages', async () => {
      const run = await runIn(f.store, 'running');
      await f.store.write([chunks(run.runId, run.leaseEpoch, [chunk('a', 1), chunk('a', 2)])]);
      await f.store.write([chunks(run.runId, run.leaseEpoch, [chunk('a', 3)]), chunks(run.runId, run.leaseEpoch, [chunk('a', 4), chunk('a', 5)])]);
      const all = await f.store.readStream(run.runId, 0, 100);
      expect(outputs(all)).toEqual([1, 2, 3, 4, 5]);
      for (let i = 1; i < all.length; i++) expect(all[i]!.pos).toBeGreaterThan(all[i - 1]!.pos);
      expect(all[0]).toMatchObject({ runId: run.runId, path: 'a', step: 'a', attempt: 1, type: 'workflow-step-output' });
      expect(outputs(await f.store.readStream(run.runId, all[1]!.pos, 100))).toEqual([3, 4, 5]);
      expect(outputs(await f.store.readStream(run.runId, all[1]!.pos, 2))).toEqual([3, 4]);
      expect(await f.store.readStream(run.runId, all[4]!.pos, 100)).toEqual([]);
      expect(await f.store.readStream('no-such-run', 0, 100)).toEqual([]);
      await expect(f.store.readStream(run.runId, -1, 10)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('orders journal rows after the chunks written before them; a rewrite of the same outcome keeps its position', async () => {
      const run = await runIn(f.store, 'running');
      const e = run.leaseEpoch;
      await f.store.write([chunks(run.runId, e, [chunk('a', 1)]), { type: 'journal', epoch: e, entry: entry(run.runId, 'a') }]);
      const [c] = await f.store.readStream(run.runId, 0, 10);
      let [row] = await f.store.loadJournal(run.runId);
      expect(row!.pos).toBeGreaterThan(c!.pos);
      expect(row!.firstPos).toBe(row!.pos);
      const first = row!.pos!;
      // The same outcome written again (a compaction): no new event.
      await f.store.write([{ type: 'journal', epoch: e, entry: entry(run.runId, 'a', { output: null }) }]);
      [row] = await f.store.loadJournal(run.runId);
      expect(row!.pos).toBe(first);
      // A new outcome of the same call: a new position, the start keeps its own.
      await f.store.write([{ type: 'journal', epoch: e, entry: entry(run.runId, 'a', { status: 'failed' }) }]);
      [row] = await f.store.loadJournal(run.runId);
      expect(row!.pos).toBeGreaterThan(first);
      expect(row!.firstPos).toBe(first);
      // A new call (another start time): both move.
      await f.store.write([{ type: 'journal', epoch: e, entry: entry(run.runId, 'a', { startedAt: T0 + 50 }) }]);
      const [again] = await f.store.loadJournal(run.runId);
      expect(again!.firstPos).toBe(again!.pos);
      expect(again!.pos).toBeGreaterThan(row!.pos!);
    });

    it('a wait row written by registerWait takes a stream position after the rows before it', async () => {
      if (!f.store.registerWait) return;
      const run = await runIn(f.store, 'running');
      await f.store.write([{ type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'a') }]);
      const wait = entry(run.runId, 'w', { status: 'waiting', output: null, endedAt: null, meta: JSON.stringify({ wait: { events: ['paid'], key: null, deadline: null, onTimeout: 'fail' } }) });
      expect(await f.store.registerWait({ runId: run.runId, epoch: run.leaseEpoch, entry: wait, names: ['paid'], key: null, since: T0, now: T0 })).toEqual({ fenced: false, event: null });
      const [a, w] = await f.store.loadJournal(run.runId);
      expect(w!.pos).toBeGreaterThan(a!.pos!);
    });

    it('a retry voids the open chunks of earlier attempts with one reset naming them; closed and later chunks stay', async () => {
      const run = await runIn(f.store, 'running');
      const e = run.leaseEpoch;
      await f.store.write([chunks(run.runId, e, [chunk('done', 0)]), { type: 'stream-close', runId: run.runId, epoch: e, path: 'done', attempt: 1 }]);
      await f.store.write([chunks(run.runId, e, [chunk('a', 1), chunk('a', 2), chunk('b', 9)])]);
      const before = await f.store.readStream(run.runId, 0, 100);
      await f.store.write([
        { type: 'stream-void', runId: run.runId, epoch: e, now: T0, path: 'a', beforeAttempt: 2 },
        chunks(run.runId, e, [chunk('a', 3, 2)]),
      ]);
      const after = await f.store.readStream(run.runId, 0, 100);
      expect(outputs(after)).toEqual([0, 9, 3]);
      const reset = after.find((r) => r.type === STREAM_RESET)!;
      expect(reset).toMatchObject({ path: 'a', step: 'a', attempt: 1 });
      expect(JSON.parse(reset.payload)).toEqual({ voided: before.filter((r) => r.path === 'a').map((r) => r.pos) });
      expect(reset.pos).toBeGreaterThan(Math.max(...before.map((r) => r.pos)));
      // A void that finds nothing writes no reset.
      await f.store.write([{ type: 'stream-void', runId: run.runId, epoch: e, now: T0, path: 'a', beforeAttempt: 2 }]);
      expect(await f.store.readStream(run.runId, 0, 100)).toEqual(after);
    });

    it('a new owner voids the open chunks of earlier epochs (a reset per step path), not the closed ones', async () => {
      const run = await runIn(f.store, 'running');
      await f.store.write([
        chunks(run.runId, run.leaseEpoch, [chunk('kept', 1)]),
        { type: 'stream-close', runId: run.runId, epoch: run.leaseEpoch, path: 'kept', attempt: 1 },
        chunks(run.runId, run.leaseEpoch, [chunk('x', 2), chunk('y', 3), chunk('x', 4)]),
      ]);
      const claimed = await f.store.claimRun(run.runId, { owner: 'w2', leaseMs: 1000, now: T0 + 10_000_000 });
      expect(claimed).not.toBeNull();
      const e2 = claimed!.run.leaseEpoch;
      // The old owner is fenced: its chunks are not written.
      const old = await f.store.write([chunks(run.runId, run.leaseEpoch, [chunk('x', 99)])]);
      expect(old.fenced).toEqual([run.runId]);
      await f.store.write([{ type: 'stream-void', runId: run.runId, epoch: e2, now: T0 }, chunks(run.runId, e2, [chunk('x', 5)])]);
      const rows = await f.store.readStream(run.runId, 0, 100);
      expect(outputs(rows)).toEqual([1, 5]);
      const resets = rows.filter((r) => r.type === STREAM_RESET).map((r) => [r.path, (JSON.parse(r.payload) as { voided: number[] }).voided.length]);
      expect(resets.sort()).toEqual([['x', 2], ['y', 1]]);
    });

    it('deleting or pruning a run removes its stream', async () => {
      const run = await runIn(f.store, 'running');
      const other = await runIn(f.store, 'running');
      await f.store.write([chunks(run.runId, run.leaseEpoch, [chunk('a', 1)]), chunks(other.runId, other.leaseEpoch, [chunk('a', 2)])]);
      expect(await f.store.deleteRun(run.runId)).toBe(true);
      expect(await f.store.readStream(run.runId, 0, 10)).toEqual([]);
      expect(outputs(await f.store.readStream(other.runId, 0, 10))).toEqual([2]);
      if (f.store.pruneRuns) {
        const done = await runIn(f.store, 'running');
        await f.store.write([
          chunks(done.runId, done.leaseEpoch, [chunk('a', 3)]),
          { type: 'run', runId: done.runId, epoch: done.leaseEpoch, patch: { status: 'success', release: true }, now: T0 + 5 },
        ]);
        expect(await f.store.readStream(done.runId, 0, 10)).toHaveLength(1);
        expect(await f.store.pruneRuns({ workflowId: done.workflowId, status: 'success', before: T0 + 1_000_000, limit: 10 })).toBeGreaterThanOrEqual(1);
        expect(await f.store.readStream(done.runId, 0, 10)).toEqual([]);
      }
    });

    it('refuses malformed stream ops', async () => {
      const run = await runIn(f.store, 'running');
      await expect(f.store.write([{ type: 'chunks', runId: run.runId, epoch: run.leaseEpoch, now: T0, chunks: [{ ...chunk('a', 1), payload: 5 as unknown as string }] }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(f.store.write([{ type: 'stream-void', runId: run.runId, epoch: run.leaseEpoch, now: T0, path: 'a' }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });
}
