import { describe, expect, it } from 'vitest';
import { RunConflictError, RunNotFoundError } from '../../src/errors.js';
import type { ReviseRequest, Store } from '../../src/store/types.js';
import { LEASE_MS, T0, entry, newRun, runIn, settle, stripSeq, uid } from './contract-helpers.js';

function revise(runId: string, over: Partial<ReviseRequest> = {}): ReviseRequest {
  return { runId, from: ['success', 'failed', 'canceled', 'suspended', 'paused'], patch: {}, owner: null, leaseExpiresAt: null, now: T0 + 100, ...over };
}

/**
 * reviseRun: a run's course changed by command (time travel, continue, take over): atomic, checked
 * against the statuses it may come from, the current journal kept in the run's history.
 */
export function reviseContract(f: { store: Store }): void {
  describe('reviseRun', () => {
    it('rewinds a finished run: new journal, old one kept as a generation, outcome cleared, epoch bumped', async () => {
      const run = await runIn(f.store, 'running');
      await f.store.write([
        { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'a') },
        { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'b') },
        { type: 'run', runId: run.runId, epoch: run.leaseEpoch, patch: { status: 'success', result: '{"done":1}', release: true }, now: T0 + 10 },
      ]);
      const before = await f.store.loadJournal(run.runId);
      const rows = [entry(run.runId, 'a', { output: '{"n":10}' }), entry(run.runId, 'b', { status: 'resumed', output: null, endedAt: null, meta: '{"resumePayload":1}' })];
      const claimed = await f.store.reviseRun(revise(run.runId, { journal: { rows, reason: 'time travel to b' }, owner: 'w2', leaseExpiresAt: T0 + 100 + LEASE_MS, patch: { options: '{"perStep":true}' } }));
      expect(claimed.run).toMatchObject({ status: 'running', owner: 'w2', result: null, error: null, wakeAt: null, options: '{"perStep":true}', leaseEpoch: run.leaseEpoch + 1 });
      expect(stripSeq(claimed.journal)).toEqual(rows);
      expect(stripSeq(await f.store.loadJournal(run.runId))).toEqual(rows);
      const history = await f.store.loadHistory(run.runId);
      expect(history).toHaveLength(1);
      expect(history[0]).toMatchObject({ generation: 1, reason: 'time travel to b', archivedAt: T0 + 100 });
      expect(stripSeq(history[0]!.rows)).toEqual(stripSeq(before));
      // The old owner's epoch is fenced.
      const late = await f.store.write([{ type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'late') }]);
      expect(late.fenced).toEqual([run.runId]);
    });

    it('keeps every replaced journal as a generation, in order (an empty one adds none)', async () => {
      const run = await runIn(f.store, 'success');
      await f.store.reviseRun(revise(run.runId, { journal: { rows: [entry(run.runId, 'x')], reason: 'first' } }));
      expect(await f.store.loadHistory(run.runId)).toEqual([]);
      const again = await f.store.loadRun(run.runId);
      await f.store.write([{ type: 'run', runId: run.runId, epoch: again!.leaseEpoch, patch: { status: 'failed', error: '{}', release: true }, now: T0 + 200 }]);
      await f.store.reviseRun(revise(run.runId, { journal: { rows: [entry(run.runId, 'y')], reason: 'second' }, now: T0 + 300 }));
      const again2 = await f.store.loadRun(run.runId);
      await f.store.write([{ type: 'run', runId: run.runId, epoch: again2!.leaseEpoch, patch: { status: 'success', release: true }, now: T0 + 400 }]);
      await f.store.reviseRun(revise(run.runId, { journal: { rows: [], reason: 'third' }, now: T0 + 500 }));
      const history = await f.store.loadHistory(run.runId);
      expect(history.map((g) => [g.generation, g.reason, g.archivedAt, g.rows.map((e) => e.path)])).toEqual([
        [1, 'second', T0 + 300, ['x']],
        [2, 'third', T0 + 500, ['y']],
      ]);
      expect(await f.store.loadJournal(run.runId)).toEqual([]);
    });

    it('refuses a run that is not in one of the given statuses, changing nothing; says when it is still running', async () => {
      for (const status of ['running', 'pending', 'waiting'] as const) {
        const run = await runIn(f.store, status);
        const got = await settle(f.store.reviseRun(revise(run.runId, { journal: { rows: [], reason: 'r' } })));
        expect(got.ok ? null : got.error).toBeInstanceOf(RunConflictError);
        expect(got.ok ? '' : String((got.error as Error).message)).toContain('still running');
        expect(await f.store.loadRun(run.runId)).toEqual(run);
        expect(await f.store.loadHistory(run.runId)).toEqual([]);
      }
      const done = await runIn(f.store, 'success');
      await expect(f.store.reviseRun(revise(done.runId, { from: ['paused'] }))).rejects.toBeInstanceOf(RunConflictError);
    });

    it('takes over an active run (from the active statuses), fencing its owner', async () => {
      const run = await runIn(f.store, 'running', { owner: 'zombie' });
      const claimed = await f.store.reviseRun(revise(run.runId, { from: ['pending', 'running', 'waiting'], owner: 'rescuer', leaseExpiresAt: T0 + 100 + LEASE_MS }));
      expect(claimed.run).toMatchObject({ status: 'running', owner: 'rescuer', leaseEpoch: run.leaseEpoch + 1 });
      expect((await f.store.write([{ type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'z') }])).fenced).toEqual([run.runId]);
    });

    it('creates the run when it does not exist and `create` is given; RunNotFoundError otherwise', async () => {
      const runId = uid('fresh');
      await expect(f.store.reviseRun(revise(runId))).rejects.toBeInstanceOf(RunNotFoundError);
      const rows = [entry(runId, 'a')];
      const claimed = await f.store.reviseRun(revise(runId, { create: newRun({ runId, input: '{"v":1}' }), journal: { rows, reason: 'time travel' } }));
      expect(claimed.run).toMatchObject({ runId, status: 'pending', input: '{"v":1}' });
      expect(stripSeq(await f.store.loadJournal(runId))).toEqual(rows);
      expect(await f.store.loadHistory(runId)).toEqual([]);
    });

    it('deleteRun removes the history too', async () => {
      const run = await runIn(f.store, 'success');
      await f.store.reviseRun(revise(run.runId, { journal: { rows: [], reason: 'r' } }));
      expect(await f.store.deleteRun(run.runId)).toBe(true);
      expect(await f.store.loadHistory(run.runId)).toEqual([]);
    });
  });
}
