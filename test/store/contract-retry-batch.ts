import { describe, expect, it } from 'vitest';
import { RunConflictError, RunNotFoundError } from '../../src/errors.js';
import type { Store } from '../../src/store/types.js';
import { LEASE_MS, T0, entry, newRun, runIn } from './contract-helpers.js';

/** retryRun (retry a failed run from its failed step) and createRuns (batched creation). */
export function retryAndBatchContract(f: { store: Store }): void {
  describe('retryRun', () => {
    it('removes the failed rows, keeps the successful ones, clears the error and bumps the epoch', async () => {
      const run = await runIn(f.store, 'running');
      await f.store.write([
        { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'a') },
        { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'b', { status: 'failed', output: null, error: '{"message":"x"}' }) },
        { type: 'run', runId: run.runId, epoch: run.leaseEpoch, now: T0 + 5, patch: { status: 'failed', error: '{"message":"x"}', release: true } },
      ]);
      const retried = await f.store.retryRun({ runId: run.runId, now: T0 + 10, owner: null, leaseExpiresAt: null });
      expect(retried.status).toBe('pending');
      expect(retried.error).toBeNull();
      expect(retried.leaseEpoch).toBe(run.leaseEpoch + 1);
      expect(retried.owner).toBeNull();
      const journal = await f.store.loadJournal(run.runId);
      expect(journal.map((e) => e.path)).toEqual(['a']);
      expect((await f.store.loadRun(run.runId))?.status).toBe('pending');
    });

    it('can hand the retried run straight to an owner', async () => {
      const run = await runIn(f.store, 'failed');
      const retried = await f.store.retryRun({ runId: run.runId, now: T0 + 10, owner: 'w1', leaseExpiresAt: T0 + 10 + LEASE_MS });
      expect(retried).toMatchObject({ status: 'running', owner: 'w1', leaseExpiresAt: T0 + 10 + LEASE_MS });
    });

    it('refuses runs that are not failed, and unknown runs', async () => {
      const ok = await runIn(f.store, 'success');
      await expect(f.store.retryRun({ runId: ok.runId, now: T0, owner: null, leaseExpiresAt: null })).rejects.toBeInstanceOf(RunConflictError);
      await expect(f.store.retryRun({ runId: 'nope', now: T0, owner: null, leaseExpiresAt: null })).rejects.toBeInstanceOf(RunNotFoundError);
      expect((await f.store.loadRun(ok.runId))?.status).toBe('success');
    });
  });

  describe('createRuns', () => {
    it('creates a batch in order and reports ids that already existed (or repeat) as not created', async () => {
      const existing = (await f.store.createRun(newRun())).run;
      const a = newRun();
      const b = newRun({ status: 'running', owner: 'w1', leaseExpiresAt: T0 + LEASE_MS });
      const results = await f.store.createRuns([a, newRun({ runId: existing.runId, input: '{"other":true}' }), b, { ...a, input: '{"dup":1}' }]);
      expect(results.map((r) => r.created)).toEqual([true, false, true, false]);
      expect(results[0]!.run).toMatchObject({ runId: a.runId, status: 'pending', leaseEpoch: 1, input: a.input });
      expect(results[1]!.run).toEqual(existing);
      expect(results[2]!.run).toMatchObject({ runId: b.runId, status: 'running', owner: 'w1' });
      expect(results[3]!.run.input).toBe(a.input);
      expect(await f.store.createRuns([])).toEqual([]);
      expect((await f.store.loadRun(existing.runId))?.input).toBe(existing.input);
    });
  });
}
