import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord, Store } from '../../src/store/types.js';
import { streamContract } from './contract-streams.js';
import { blobContract } from './contract-blobs.js';
import { claimContract } from './contract-claims.js';
import { flowContract } from './contract-flow.js';
import { admitContract } from './contract-admit.js';
import { heldContract } from './contract-held.js';
import { T0, LEASE_MS, WF, entry, newRun, runIn, stripSeq, uid, type MakeStore } from './contract-helpers.js';
import { listContract } from './contract-list.js';
import { resumeCancelContract } from './contract-resume.js';
import { retryAndBatchContract } from './contract-retry-batch.js';
import { reviseContract } from './contract-revise.js';
import { scanContract } from './contract-scan.js';
import { safetyContract } from './contract-safety.js';

/**
 * The behaviour every Store implementation must have. Each test gets a fresh, opened store from `make`.
 * Times are explicit (`now` arguments), never the wall clock, so the suite is deterministic.
 */
export function storeContract(name: string, make: MakeStore): void {
  describe(`store contract: ${name}`, () => {
    const f = {} as { store: Store; cleanup: () => Promise<void> };

    beforeEach(async () => {
      const made = await make();
      f.store = made.store;
      f.cleanup = made.cleanup;
      await f.store.open();
    });

    afterEach(async () => {
      await f.store.close();
      await f.cleanup();
    });

    describe('open', () => {
      it('open() is idempotent', async () => {
        await f.store.open();
        await f.store.open();
        const { created } = await f.store.createRun(newRun());
        expect(created).toBe(true);
      });
    });

    describe('createRun / loadRun', () => {
      it('creates a pending run with defaults', async () => {
        const input = newRun({ resourceId: 'user-1', priority: 3, concurrencyKey: 'k1' });
        const { created, run } = await f.store.createRun(input);
        expect(created).toBe(true);
        const expected: RunRecord = {
          runId: input.runId,
          workflowId: WF,
          status: 'pending',
          resourceId: 'user-1',
          input: '{"n":1}',
          state: null,
          result: null,
          error: null,
          requestContext: null,
          tracing: null,
          statusReason: null,
          owner: null,
          leaseEpoch: 1,
          leaseExpiresAt: null,
          wakeAt: null,
          priority: 3,
          concurrencyKey: 'k1',
          options: null,
          fingerprint: null,
          createdAt: T0,
          updatedAt: T0,
        };
        expect(run).toEqual(expected);
        expect(await f.store.loadRun(input.runId)).toEqual(expected);
      });

      it('is idempotent on runId: created=false, the original run, no second row', async () => {
        const first = newRun({ input: '{"first":true}' });
        await f.store.createRun(first);
        const again = await f.store.createRun({ ...first, input: '{"second":true}', workflowId: 'other', now: T0 + 99 });
        expect(again.created).toBe(false);
        expect(again.run.input).toBe('{"first":true}');
        expect(again.run.workflowId).toBe(WF);
        expect(again.run.createdAt).toBe(T0);
        const list = await f.store.listRuns({});
        expect(list.total).toBe(1);
        expect(list.runs).toHaveLength(1);
      });

      it('creates a run already claimed by an owner', async () => {
        const { run } = await f.store.createRun(newRun({ status: 'running', owner: 'w1', leaseExpiresAt: T0 + LEASE_MS }));
        expect(run).toMatchObject({ status: 'running', owner: 'w1', leaseExpiresAt: T0 + LEASE_MS, leaseEpoch: 1 });
      });

      it('ignores leaseExpiresAt when there is no owner', async () => {
        const { run } = await f.store.createRun(newRun({ owner: null, leaseExpiresAt: T0 + LEASE_MS }));
        expect(run.leaseExpiresAt).toBeNull();
      });

      it('returns null / [] for an unknown run', async () => {
        expect(await f.store.loadRun('nope')).toBeNull();
        expect(await f.store.loadJournal('nope')).toEqual([]);
      });

      it('round-trips every run field, including unicode, empty strings and large payloads', async () => {
        const big = JSON.stringify({ blob: 'x'.repeat(2 * 1024 * 1024) });
        const input = newRun({
          runId: `${uid()}-ünïcødé-🧵`,
          workflowId: 'wf-ü',
          resourceId: '',
          input: big,
          state: '{"s":"ß∂ƒ"}',
          requestContext: '{"tenant":"t1"}',
          tracing: '{"traceId":"abc","metadata":{"k":"v"}}',
          priority: -7,
          concurrencyKey: 'ck',
          status: 'running',
          owner: 'w-1',
          leaseExpiresAt: T0 + LEASE_MS,
          now: T0 + 10,
        });
        const { run } = await f.store.createRun(input);
        await f.store.write([
          {
            type: 'run',
            runId: run.runId,
            epoch: run.leaseEpoch,
            now: T0 + 20,
            patch: {
              status: 'waiting',
              state: '{"s":2}',
              result: '"r"',
              error: '{"message":"e"}',
              wakeAt: T0 + 5_000,
              statusReason: 'sleeping 🛌',
            },
          },
        ]);
        expect(await f.store.loadRun(run.runId)).toEqual({
          runId: input.runId,
          workflowId: 'wf-ü',
          status: 'waiting',
          resourceId: '',
          input: big,
          state: '{"s":2}',
          result: '"r"',
          error: '{"message":"e"}',
          requestContext: '{"tenant":"t1"}',
          tracing: '{"traceId":"abc","metadata":{"k":"v"}}',
          statusReason: 'sleeping 🛌',
          owner: 'w-1',
          leaseEpoch: 1,
          leaseExpiresAt: T0 + LEASE_MS,
          wakeAt: T0 + 5_000,
          priority: -7,
          concurrencyKey: 'ck',
          options: null,
          fingerprint: null,
          createdAt: T0 + 10,
          updatedAt: T0 + 20,
        } satisfies RunRecord);
      });
    });

    describe('write: journal', () => {
      it('round-trips every journal field', async () => {
        const run = await runIn(f.store, 'running');
        const rows = [
          entry(run.runId, 'fetch-user'),
          entry(run.runId, 'foreach#2[0]/resize', {
            kind: 'item',
            status: 'failed',
            attempt: 3,
            input: null,
            output: null,
            error: '{"name":"Error","message":"bøøm"}',
            meta: '{"statePatch":{"a":1}}',
            startedAt: T0 + 100,
            endedAt: null,
          }),
          entry(run.runId, 'branch#3', { kind: 'decision', status: 'success', output: '[0,2]', input: '' }),
          entry(run.runId, 'big', { output: JSON.stringify('y'.repeat(1024 * 1024)) }),
        ];
        const out = await f.store.write(rows.map((e) => ({ type: 'journal' as const, epoch: run.leaseEpoch, entry: e })));
        expect(out.fenced).toEqual([]);
        const loaded = await f.store.loadJournal(run.runId);
        expect(stripSeq(loaded)).toEqual(rows);
        for (const row of loaded) expect(typeof row.seq).toBe('number');
      });

      it('keeps one row per (run, path) and the original seq on update', async () => {
        const run = await runIn(f.store, 'running');
        const e = run.leaseEpoch;
        await f.store.write([
          { type: 'journal', epoch: e, entry: entry(run.runId, 'a', { status: 'retrying', output: null }) },
          { type: 'journal', epoch: e, entry: entry(run.runId, 'b') },
        ]);
        await f.store.write([{ type: 'journal', epoch: e, entry: entry(run.runId, 'c') }]);
        const before = await f.store.loadJournal(run.runId);
        const seqA = before[0]?.seq;
        await f.store.write([
          { type: 'journal', epoch: e, entry: entry(run.runId, 'a', { status: 'success', attempt: 2, output: '"done"' }) },
        ]);
        const after = await f.store.loadJournal(run.runId);
        expect(after.map((r) => r.path)).toEqual(['a', 'b', 'c']);
        expect(after[0]).toMatchObject({ path: 'a', status: 'success', attempt: 2, output: '"done"', seq: seqA });
        expect(after[1]?.seq).toBe(before[1]?.seq);
        expect(after[2]?.seq).toBe(before[2]?.seq);
      });

      it('orders rows by first insertion, across batches and within one', async () => {
        const run = await runIn(f.store, 'running');
        const e = run.leaseEpoch;
        const paths = ['z', 'm', 'a', 'loop#1[10]/x', 'loop#1[2]/x', 'b'];
        await f.store.write(paths.slice(0, 3).map((p) => ({ type: 'journal' as const, epoch: e, entry: entry(run.runId, p) })));
        await f.store.write(paths.slice(3).map((p) => ({ type: 'journal' as const, epoch: e, entry: entry(run.runId, p) })));
        const rows = await f.store.loadJournal(run.runId);
        expect(rows.map((r) => r.path)).toEqual(paths);
        const seqs = rows.map((r) => r.seq ?? -1);
        expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
        expect(new Set(seqs).size).toBe(seqs.length);
      });

      it('folds repeated writes of one path in a batch into one row: last values, first position', async () => {
        const run = await runIn(f.store, 'running');
        const e = run.leaseEpoch;
        const out = await f.store.write([
          { type: 'journal', epoch: e, entry: entry(run.runId, 'x', { status: 'retrying', attempt: 1 }) },
          { type: 'journal', epoch: e, entry: entry(run.runId, 'y') },
          { type: 'journal', epoch: e, entry: entry(run.runId, 'x', { status: 'success', attempt: 2 }) },
        ]);
        expect(out.fenced).toEqual([]);
        const rows = await f.store.loadJournal(run.runId);
        expect(rows.map((r) => [r.path, r.status, r.attempt])).toEqual([
          ['x', 'success', 2],
          ['y', 'success', 1],
        ]);
      });

      it('keeps journals of different runs apart', async () => {
        const r1 = await runIn(f.store, 'running');
        const r2 = await runIn(f.store, 'running');
        await f.store.write([
          { type: 'journal', epoch: r1.leaseEpoch, entry: entry(r1.runId, 'same') },
          { type: 'journal', epoch: r2.leaseEpoch, entry: entry(r2.runId, 'same', { output: '2' }) },
          { type: 'journal', epoch: r2.leaseEpoch, entry: entry(r2.runId, 'other') },
        ]);
        expect((await f.store.loadJournal(r1.runId)).map((r) => r.output)).toEqual(['{"out":true}']);
        expect((await f.store.loadJournal(r2.runId)).map((r) => r.path)).toEqual(['same', 'other']);
      });

      it('accepts an empty batch', async () => {
        expect(await f.store.write([])).toEqual({ fenced: [] });
      });
    });

    describe('write: fencing', () => {
      it('rejects stale-epoch writes and reports them, while the rest of the batch applies', async () => {
        const stale = await runIn(f.store, 'pending');
        const claimed = await f.store.claimRun(stale.runId, { owner: 'w2', leaseMs: LEASE_MS, now: T0 + 1 });
        expect(claimed?.run.leaseEpoch).toBe(stale.leaseEpoch + 1);
        const live = await runIn(f.store, 'running');
        const out = await f.store.write([
          { type: 'journal', epoch: stale.leaseEpoch, entry: entry(stale.runId, 'zombie') },
          { type: 'journal', epoch: live.leaseEpoch, entry: entry(live.runId, 'ok') },
          { type: 'run', runId: stale.runId, epoch: stale.leaseEpoch, patch: { status: 'failed', error: '"z"' }, now: T0 + 2 },
          { type: 'run', runId: live.runId, epoch: live.leaseEpoch, patch: { state: '{"v":1}' }, now: T0 + 2 },
          { type: 'journal', epoch: 1, entry: entry('no-such-run', 'x') },
        ]);
        expect([...out.fenced].sort()).toEqual(['no-such-run', stale.runId].sort());
        expect(await f.store.loadJournal(stale.runId)).toEqual([]);
        expect(await f.store.loadRun(stale.runId)).toMatchObject({ status: 'running', owner: 'w2', error: null });
        expect((await f.store.loadJournal(live.runId)).map((r) => r.path)).toEqual(['ok']);
        expect((await f.store.loadRun(live.runId))?.state).toBe('{"v":1}');
        expect(await f.store.loadRun('no-such-run')).toBeNull();
      });

      it('the new owner writes with the new epoch; the old owner stays fenced', async () => {
        const run = await runIn(f.store, 'running', { owner: 'w1', leaseExpiresAt: T0 + 10 });
        const taken = await f.store.claimRun(run.runId, { owner: 'w2', leaseMs: LEASE_MS, now: T0 + 10 });
        if (!taken) throw new Error('claim failed');
        const out = await f.store.write([
          { type: 'journal', epoch: taken.run.leaseEpoch, entry: entry(run.runId, 'a', { output: '"new"' }) },
          { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'a', { output: '"old"' }) },
        ]);
        expect(out.fenced).toEqual([run.runId]);
        expect((await f.store.loadJournal(run.runId)).map((r) => r.output)).toEqual(['"new"']);
      });
    });

    describe('write: run patches', () => {
      it('changes only the given fields, null clears, release drops owner and lease, epoch unchanged', async () => {
        const run = await runIn(f.store, 'running', { state: '{"a":1}' });
        await f.store.write([
          { type: 'run', runId: run.runId, epoch: run.leaseEpoch, patch: { result: '"r"', statusReason: 'why' }, now: T0 + 1 },
        ]);
        let got = await f.store.loadRun(run.runId);
        expect(got).toMatchObject({ status: 'running', state: '{"a":1}', result: '"r"', statusReason: 'why', owner: 'worker-setup', updatedAt: T0 + 1 });
        await f.store.write([
          {
            type: 'run',
            runId: run.runId,
            epoch: run.leaseEpoch,
            patch: { status: 'success', state: null, statusReason: null, release: true },
            now: T0 + 2,
          },
        ]);
        got = await f.store.loadRun(run.runId);
        expect(got).toMatchObject({
          status: 'success',
          state: null,
          result: '"r"',
          statusReason: null,
          owner: null,
          leaseExpiresAt: null,
          leaseEpoch: run.leaseEpoch,
          updatedAt: T0 + 2,
        });
      });

      it('applies several patches of one run in a batch in order', async () => {
        const run = await runIn(f.store, 'running');
        await f.store.write([
          { type: 'run', runId: run.runId, epoch: run.leaseEpoch, patch: { state: '1', result: '"a"' }, now: T0 + 1 },
          { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 's') },
          { type: 'run', runId: run.runId, epoch: run.leaseEpoch, patch: { state: '2', release: true }, now: T0 + 2 },
          { type: 'run', runId: run.runId, epoch: run.leaseEpoch, patch: { status: 'waiting', wakeAt: T0 + 9 }, now: T0 + 3 },
        ]);
        expect(await f.store.loadRun(run.runId)).toMatchObject({
          state: '2',
          result: '"a"',
          status: 'waiting',
          wakeAt: T0 + 9,
          owner: null,
          leaseExpiresAt: null,
          updatedAt: T0 + 3,
        });
      });

      it('a patch sets the request context (with the row that implied it, in one batch); absent leaves it; a stale epoch is fenced', async () => {
        const run = await runIn(f.store, 'running', { requestContext: '{"tenant":"t1"}' });
        await f.store.write([
          { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'set-ctx') },
          { type: 'run', runId: run.runId, epoch: run.leaseEpoch, patch: { requestContext: '{"tenant":"t1","seen":true}' }, now: T0 + 1 },
        ]);
        expect((await f.store.loadRun(run.runId))?.requestContext).toBe('{"tenant":"t1","seen":true}');
        await f.store.write([{ type: 'run', runId: run.runId, epoch: run.leaseEpoch, patch: { status: 'suspended', release: true }, now: T0 + 2 }]);
        expect(await f.store.loadRun(run.runId)).toMatchObject({ status: 'suspended', requestContext: '{"tenant":"t1","seen":true}' });
        const out = await f.store.write([{ type: 'run', runId: run.runId, epoch: run.leaseEpoch - 1, patch: { requestContext: '{}' }, now: T0 + 3 }]);
        expect(out.fenced).toEqual([run.runId]);
        expect((await f.store.loadRun(run.runId))?.requestContext).toBe('{"tenant":"t1","seen":true}');
      });
    });

    describe('deleteRun', () => {
      it('removes the run and its journal', async () => {
        const run = await runIn(f.store, 'running');
        const other = await runIn(f.store, 'running');
        await f.store.write([
          { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'a') },
          { type: 'journal', epoch: other.leaseEpoch, entry: entry(other.runId, 'a') },
        ]);
        expect(await f.store.deleteRun(run.runId)).toBe(true);
        expect(await f.store.loadRun(run.runId)).toBeNull();
        expect(await f.store.loadJournal(run.runId)).toEqual([]);
        expect(await f.store.deleteRun(run.runId)).toBe(false);
        expect(await f.store.loadJournal(other.runId)).toHaveLength(1);
        // The id can be used again, with an empty journal.
        const again = await f.store.createRun(newRun({ runId: run.runId }));
        expect(again.created).toBe(true);
        expect(await f.store.loadJournal(run.runId)).toEqual([]);
      });
    });

    claimContract(f);
    resumeCancelContract(f);
    listContract(f);
    retryAndBatchContract(f);
    flowContract(f);
    admitContract(f);
    safetyContract(f);
    reviseContract(f);
    blobContract(f);
    streamContract(f);
    heldContract(f);
    scanContract(f);
  });
}
