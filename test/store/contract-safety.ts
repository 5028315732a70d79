import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import type { Store, WriteOp } from '../../src/store/types.js';
import { T0, entry, newRun, runIn, settle } from './contract-helpers.js';

const NUL = 'a\u0000b';
const LONE = 'a\uD800b';

/**
 * Text no store can hold as it is (NUL, lone surrogates) and numbers out of range are refused with
 * INVALID_ARGUMENT, the same way on every store; the settled batch variants fail the bad item alone.
 */
export function safetyContract(f: { store: Store }): void {
  describe('values the store cannot hold', () => {
    for (const [what, bad] of [['a NUL character', NUL], ['a lone surrogate', LONE]] as const) {
      it(`createRun refuses ${what} in an id or key, and stores nothing`, async () => {
        for (const field of ['runId', 'workflowId', 'resourceId', 'concurrencyKey'] as const) {
          const run = newRun({ [field]: bad });
          const got = await settle(f.store.createRun(run));
          expect(got.ok ? null : got.error).toBeInstanceOf(InvalidArgumentError);
          expect(got.ok ? null : got.error).toMatchObject({ code: 'INVALID_ARGUMENT' });
          expect(got.ok ? '' : String((got.error as Error).message)).toContain(field);
        }
        expect((await f.store.listRuns({})).total).toBe(0);
      });

      it(`lookups by an id with ${what} find nothing instead of failing`, async () => {
        expect(await f.store.loadRun(bad)).toBeNull();
        expect(await f.store.loadJournal(bad)).toEqual([]);
        expect(await f.store.deleteRun(bad)).toBe(false);
        expect(await f.store.cancelRun(bad, T0)).toBeNull();
        expect(await f.store.claimRun(bad, { owner: 'w', leaseMs: 1000, now: T0 })).toBeNull();
        expect(await f.store.renewLeases('w', [bad], 1000, T0)).toEqual({ lost: [bad] });
        expect(await f.store.claimRuns({ owner: 'w', leaseMs: 1000, now: T0, limit: 5, workflowIds: [bad] })).toEqual([]);
        expect(await f.store.nextWakeAt([bad])).toBeNull();
        await expect(f.store.listRuns({ resourceId: bad })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      });
    }

    it('createRunsSettled fails a bad run alone; the others are created', async () => {
      const good = [newRun(), newRun(), newRun({ resourceId: 'user-1' })];
      const batch = [good[0]!, newRun({ runId: NUL }), good[1]!, newRun({ resourceId: LONE }), good[2]!, newRun({ priority: 2 ** 40 })];
      const out = await f.store.createRunsSettled!(batch);
      expect(out.map((r) => (r.error ? (r.error as InvalidArgumentError).code : r.created))).toEqual([
        true,
        'INVALID_ARGUMENT',
        true,
        'INVALID_ARGUMENT',
        true,
        'INVALID_ARGUMENT',
      ]);
      const stored = (await f.store.listRuns({})).runs.map((r) => r.runId).sort();
      expect(stored).toEqual(good.map((r) => r.runId).sort());
    });

    it('createRuns (all or nothing) refuses the whole batch and stores none of it', async () => {
      await expect(f.store.createRuns([newRun(), newRun({ runId: NUL })])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect((await f.store.listRuns({})).total).toBe(0);
    });

    it('writeSettled fails every op of a run with a bad op, and commits the other runs', async () => {
      const a = await runIn(f.store, 'running');
      const b = await runIn(f.store, 'running');
      const ops: WriteOp[] = [
        { type: 'journal', epoch: b.leaseEpoch, entry: entry(b.runId, 'fine') },
        { type: 'journal', epoch: a.leaseEpoch, entry: entry(a.runId, 'one') },
        { type: 'journal', epoch: b.leaseEpoch, entry: entry(b.runId, `bad${NUL}`) },
        { type: 'run', runId: a.runId, epoch: a.leaseEpoch, now: T0 + 5, patch: { status: 'success', result: '{"ok":1}', release: true } },
        { type: 'run', runId: b.runId, epoch: b.leaseEpoch, now: T0 + 5, patch: { status: 'success', release: true } },
      ];
      const out = await f.store.writeSettled!(ops);
      expect(out.fenced).toEqual([]);
      expect(out.failed?.map((x) => [x.runId, (x.error as InvalidArgumentError).code])).toEqual([[b.runId, 'INVALID_ARGUMENT']]);
      expect((await f.store.loadRun(a.runId))?.status).toBe('success');
      expect((await f.store.loadJournal(a.runId)).map((e) => e.path)).toEqual(['one']);
      // Nothing of b was written, not even its valid row that came before the bad one.
      expect((await f.store.loadRun(b.runId))?.status).toBe('running');
      expect(await f.store.loadJournal(b.runId)).toEqual([]);
      // write (all or nothing) refuses the whole batch.
      await expect(f.store.write(ops)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('refuses timestamps and pages outside what a Date or the columns can hold', async () => {
      for (const bad of [1e23, Number.NaN, Number.POSITIVE_INFINITY, -1e20]) {
        await expect(f.store.listRuns({ fromDate: bad })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        await expect(f.store.listRuns({ toDate: bad })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        await expect(f.store.createRun(newRun({ now: bad }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
      await expect(f.store.listRuns({ page: 1e20 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(f.store.listRuns({ page: Number.NaN })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(f.store.listRuns({ perPage: Number.NaN })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      // In range, far in the future or past: an empty page, not an error.
      expect(await f.store.listRuns({ fromDate: 8e15 })).toEqual({ runs: [], total: 0 });
      expect((await f.store.listRuns({ page: 1e9 })).runs).toEqual([]);
    });
  });
}
