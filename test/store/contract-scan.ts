import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import type { Store } from '../../src/store/types.js';
import { T0, entry, newRun, runIn, stripSeq } from './contract-helpers.js';

/**
 * What `weft check` reads: the graph fingerprint kept with each run, unfinished runs a page at a time
 * in id order (scanRuns), and the journals of many runs in one read (loadJournals).
 */
export function scanContract(f: { store: Store }): void {
  describe('fingerprint, scanRuns, loadJournals', () => {
    it('keeps the fingerprint a run was created with (createRun and createRuns)', async () => {
      const one = await f.store.createRun(newRun({ runId: 'fp-1', fingerprint: '3:0123456789abcdef' }));
      expect(one.run.fingerprint).toBe('3:0123456789abcdef');
      const many = await f.store.createRuns([newRun({ runId: 'fp-2', fingerprint: 'abc' }), newRun({ runId: 'fp-3' })]);
      expect(many.map((m) => m.run.fingerprint)).toEqual(['abc', null]);
      expect((await f.store.loadRun('fp-1'))?.fingerprint).toBe('3:0123456789abcdef');
      expect((await f.store.loadRun('fp-2'))?.fingerprint).toBe('abc');
      expect((await f.store.loadRun('fp-3'))?.fingerprint).toBeNull();
    });

    it('scans runs in the given statuses in id order, a page at a time, filtered by workflow', async () => {
      for (const id of ['s-c', 's-a', 's-e', 's-b']) await f.store.createRun(newRun({ runId: id, fingerprint: `fp-${id}` }));
      await f.store.createRun(newRun({ runId: 's-d', workflowId: 'other' }));
      const done = await runIn(f.store, 'running', { runId: 's-f' });
      await f.store.write([{ type: 'run', runId: done.runId, epoch: done.leaseEpoch, patch: { status: 'success', release: true }, now: T0 + 5 }]);

      const first = await f.store.scanRuns({ statuses: ['pending', 'running'], after: null, limit: 3 });
      expect(first.map((r) => r.runId)).toEqual(['s-a', 's-b', 's-c']);
      expect(first[0]).toEqual({ runId: 's-a', workflowId: 'wf-a', status: 'pending', fingerprint: 'fp-s-a' });
      const next = await f.store.scanRuns({ statuses: ['pending', 'running'], after: 's-c', limit: 3 });
      expect(next.map((r) => r.runId)).toEqual(['s-d', 's-e']);
      const onlyA = await f.store.scanRuns({ statuses: ['pending'], after: null, limit: 10, workflowIds: ['wf-a'] });
      expect(onlyA.map((r) => r.runId)).toEqual(['s-a', 's-b', 's-c', 's-e']);
      const settled = await f.store.scanRuns({ statuses: ['success'], after: null, limit: 10 });
      expect(settled.map((r) => r.runId)).toEqual(['s-f']);
    });

    it('refuses bad scan options', async () => {
      await expect(f.store.scanRuns({ statuses: [], after: null, limit: 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(f.store.scanRuns({ statuses: ['nope' as 'pending'], after: null, limit: 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(f.store.scanRuns({ statuses: ['pending'], after: null, limit: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    it('loads the journals of many runs at once, grouped by run in seq order', async () => {
      const a = await runIn(f.store, 'running', { runId: 'j-a' });
      const b = await runIn(f.store, 'running', { runId: 'j-b' });
      const rows = [entry('j-a', 'x'), entry('j-b', 'p'), entry('j-a', 'y'), entry('j-b', 'q', { status: 'suspended', output: null })];
      await f.store.write(rows.map((e) => ({ type: 'journal' as const, epoch: e.runId === 'j-a' ? a.leaseEpoch : b.leaseEpoch, entry: e })));
      const got = await f.store.loadJournals(['j-a', 'j-b', 'missing']);
      const byRun = (id: string) => stripSeq(got.filter((r) => r.runId === id));
      expect(byRun('j-a')).toEqual([rows[0], rows[2]]);
      expect(byRun('j-b')).toEqual([rows[1], rows[3]]);
      expect(got).toHaveLength(4);
      // Grouped: one run's rows are contiguous.
      expect(got.map((r) => r.runId).join(',')).toMatch(/^(j-a,j-a,j-b,j-b|j-b,j-b,j-a,j-a)$/);
      expect(await f.store.loadJournals([])).toEqual([]);
    });
  });
}
