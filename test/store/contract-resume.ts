import { describe, expect, it } from 'vitest';
import { ResumeConflictError, RunNotFoundError, RunNotSuspendedError } from '../../src/errors.js';
import type { ResumeRequest, Store } from '../../src/store/types.js';
import { LEASE_MS, T0, entry, runIn, settle, suspendedRun } from './contract-helpers.js';

function resumeReq(runId: string, overrides: Partial<ResumeRequest> = {}): ResumeRequest {
  return {
    runId,
    path: 'approve',
    resumeData: '{"approved":true}',
    requestContext: null,
    now: T0 + 100,
    owner: null,
    leaseExpiresAt: null,
    ...overrides,
  };
}

/** resumeRun and cancelRun. */
export function resumeCancelContract(f: { store: Store }): void {
  describe('resumeRun', () => {
    it('moves a suspended run to pending, bumps the epoch and marks the row resumed, keeping its meta', async () => {
      const run = await suspendedRun(f.store);
      const resumed = await f.store.resumeRun(resumeReq(run.runId, { requestContext: '{"user":"u2"}' }));
      expect(resumed).toEqual({
        ...run,
        status: 'pending',
        owner: null,
        leaseExpiresAt: null,
        leaseEpoch: run.leaseEpoch + 1,
        requestContext: '{"user":"u2"}',
        updatedAt: T0 + 100,
      });
      expect(await f.store.loadRun(run.runId)).toEqual(resumed);
      const rows = await f.store.loadJournal(run.runId);
      expect(rows.map((r) => [r.path, r.status])).toEqual([
        ['before', 'success'],
        ['approve', 'resumed'],
      ]);
      expect(JSON.parse(rows[1]?.meta ?? 'null')).toEqual({
        suspendPayload: { reason: 'needs approval' },
        resumeLabels: { ok: 'approve' },
        resumePayload: { approved: true },
      });
      // A resumed run is claimable like any pending run.
      const claimed = await f.store.claimRun(run.runId, { owner: 'w3', leaseMs: LEASE_MS, now: T0 + 200 });
      expect(claimed?.journal.map((r) => r.status)).toEqual(['success', 'resumed']);
    });

    it('resumes straight into running for an owner', async () => {
      const run = await suspendedRun(f.store);
      const resumed = await f.store.resumeRun(
        resumeReq(run.runId, { owner: 'w2', leaseExpiresAt: T0 + 100 + LEASE_MS, resumeData: null }),
      );
      expect(resumed).toMatchObject({
        status: 'running',
        owner: 'w2',
        leaseExpiresAt: T0 + 100 + LEASE_MS,
        leaseEpoch: run.leaseEpoch + 1,
        requestContext: run.requestContext,
      });
      const row = (await f.store.loadJournal(run.runId)).find((r) => r.path === 'approve');
      const meta = JSON.parse(row?.meta ?? 'null') as Record<string, unknown>;
      expect(meta).not.toHaveProperty('resumePayload');
      expect(meta.suspendPayload).toEqual({ reason: 'needs approval' });
      // Writes made under the pre-resume epoch are fenced.
      const out = await f.store.write([{ type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'late') }]);
      expect(out.fenced).toEqual([run.runId]);
    });

    it('resumes a row that had no meta', async () => {
      const { run } = await f.store.createRun({ ...baseRun(), owner: 'w1', status: 'running', leaseExpiresAt: T0 + LEASE_MS });
      await f.store.write([
        { type: 'journal', epoch: 1, entry: entry(run.runId, 'approve', { status: 'suspended', meta: null }) },
        { type: 'run', runId: run.runId, epoch: 1, patch: { status: 'suspended', release: true }, now: T0 },
      ]);
      await f.store.resumeRun(resumeReq(run.runId, { resumeData: '[1,2]' }));
      const rows = await f.store.loadJournal(run.runId);
      expect(JSON.parse(rows[0]?.meta ?? 'null')).toEqual({ resumePayload: [1, 2] });
    });

    it('resumes several rows together (every suspended item of a foreach) with the same data, or none of them', async () => {
      const { run } = await f.store.createRun({ ...baseRun(), owner: 'w1', status: 'running', leaseExpiresAt: T0 + LEASE_MS });
      const item = (i: number) => `foreach#1[${i}]/map`;
      await f.store.write([
        { type: 'journal', epoch: 1, entry: entry(run.runId, item(0), { kind: 'item', status: 'suspended', meta: '{"suspendPayload":0}' }) },
        { type: 'journal', epoch: 1, entry: entry(run.runId, item(1), { kind: 'item', status: 'success' }) },
        { type: 'journal', epoch: 1, entry: entry(run.runId, item(2), { kind: 'item', status: 'suspended', meta: '{"suspendPayload":2}' }) },
        { type: 'run', runId: run.runId, epoch: 1, patch: { status: 'suspended', release: true }, now: T0 },
      ]);
      // One of the rows is not suspended: nothing changes.
      const bad = resumeReq(run.runId, { path: item(0), paths: [item(0), item(1), item(2)] });
      await expect(f.store.resumeRun(bad)).rejects.toBeInstanceOf(RunNotSuspendedError);
      expect((await f.store.loadJournal(run.runId)).map((r) => r.status)).toEqual(['suspended', 'success', 'suspended']);
      expect((await f.store.loadRun(run.runId))?.status).toBe('suspended');

      await f.store.resumeRun(resumeReq(run.runId, { path: item(0), paths: [item(0), item(2)], resumeData: '{"v":5}' }));
      const rows = await f.store.loadJournal(run.runId);
      expect(rows.map((r) => [r.path, r.status, JSON.parse(r.meta ?? 'null')])).toEqual([
        [item(0), 'resumed', { suspendPayload: 0, resumePayload: { v: 5 } }],
        [item(1), 'success', null],
        [item(2), 'resumed', { suspendPayload: 2, resumePayload: { v: 5 } }],
      ]);
      expect((await f.store.loadRun(run.runId))?.status).toBe('pending');
    });

    it('throws RunNotFoundError for an unknown run', async () => {
      await expect(f.store.resumeRun(resumeReq('missing'))).rejects.toBeInstanceOf(RunNotFoundError);
    });

    it('throws RunNotSuspendedError for terminal and waiting runs, and for a path that is not suspended', async () => {
      for (const status of ['success', 'failed', 'canceled', 'waiting'] as const) {
        const run = await runIn(f.store, status);
        await expect(f.store.resumeRun(resumeReq(run.runId))).rejects.toBeInstanceOf(RunNotSuspendedError);
        expect(await f.store.loadRun(run.runId)).toEqual(run);
      }
      const run = await suspendedRun(f.store);
      await expect(f.store.resumeRun(resumeReq(run.runId, { path: 'before' }))).rejects.toBeInstanceOf(RunNotSuspendedError);
      await expect(f.store.resumeRun(resumeReq(run.runId, { path: 'nope' }))).rejects.toBeInstanceOf(RunNotSuspendedError);
      expect(await f.store.loadRun(run.runId)).toEqual(run);
    });

    it('throws ResumeConflictError for pending and running runs', async () => {
      for (const status of ['pending', 'running'] as const) {
        const run = await runIn(f.store, status);
        await expect(f.store.resumeRun(resumeReq(run.runId))).rejects.toBeInstanceOf(ResumeConflictError);
      }
    });

    it('lets exactly one of two concurrent resumes win', async () => {
      const run = await suspendedRun(f.store);
      const results = await Promise.all([
        settle(f.store.resumeRun(resumeReq(run.runId, { resumeData: '"a"' }))),
        settle(f.store.resumeRun(resumeReq(run.runId, { resumeData: '"b"' }))),
      ]);
      const winners = results.filter((r) => r.ok);
      const losers = results.filter((r) => !r.ok);
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(1);
      expect(losers[0] && !losers[0].ok && losers[0].error).toBeInstanceOf(ResumeConflictError);
      const after = await f.store.loadRun(run.runId);
      expect(after?.leaseEpoch).toBe(run.leaseEpoch + 1);
      const row = (await f.store.loadJournal(run.runId)).find((r) => r.path === 'approve');
      const winner = winners[0]?.ok ? (results[0]?.ok ? '"a"' : '"b"') : '';
      expect(JSON.stringify((JSON.parse(row?.meta ?? '{}') as { resumePayload?: unknown }).resumePayload)).toBe(winner);
    });
  });

  describe('cancelRun', () => {
    it('cancels a running run and fences its owner', async () => {
      const run = await runIn(f.store, 'running', { owner: 'w1' });
      const canceled = await f.store.cancelRun(run.runId, T0 + 10);
      expect(canceled).toEqual({
        ...run,
        status: 'canceled',
        owner: null,
        leaseExpiresAt: null,
        wakeAt: null,
        leaseEpoch: run.leaseEpoch + 1,
        updatedAt: T0 + 10,
      });
      const out = await f.store.write([
        { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'after-cancel') },
        { type: 'run', runId: run.runId, epoch: run.leaseEpoch, patch: { status: 'success' }, now: T0 + 11 },
      ]);
      expect(out.fenced).toEqual([run.runId]);
      expect(await f.store.loadRun(run.runId)).toEqual(canceled);
      expect(await f.store.loadJournal(run.runId)).toEqual([]);
      expect((await f.store.renewLeases('w1', [run.runId], LEASE_MS, T0 + 12)).lost).toEqual([run.runId]);
    });

    it('cancels pending, waiting and suspended runs (clearing the timer), which are then never claimed', async () => {
      for (const status of ['pending', 'waiting', 'suspended'] as const) {
        const run = await runIn(f.store, status, { wakeAt: T0 + 5 });
        const canceled = await f.store.cancelRun(run.runId, T0 + 10);
        expect(canceled).toMatchObject({ status: 'canceled', wakeAt: null, leaseEpoch: run.leaseEpoch + 1 });
        expect(await f.store.claimRun(run.runId, { owner: 'w', leaseMs: LEASE_MS, now: T0 + 20 })).toBeNull();
      }
    });

    it('returns a terminal run unchanged', async () => {
      for (const status of ['success', 'failed', 'canceled'] as const) {
        const run = await runIn(f.store, status);
        expect(await f.store.cancelRun(run.runId, T0 + 999)).toEqual(run);
        expect(await f.store.loadRun(run.runId)).toEqual(run);
      }
    });

    it('returns null for an unknown run', async () => {
      expect(await f.store.cancelRun('missing', T0)).toBeNull();
    });
  });
}

function baseRun() {
  return {
    runId: `bare-${Math.random().toString(36).slice(2)}`,
    workflowId: 'wf-a',
    status: 'pending' as const,
    resourceId: null,
    input: null,
    state: null,
    requestContext: null,
    tracing: null,
    priority: 0,
    concurrencyKey: null,
    owner: null,
    leaseExpiresAt: null,
    now: T0,
  };
}
