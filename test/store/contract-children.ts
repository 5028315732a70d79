import { describe, expect, it } from 'vitest';
import type { JournalEntry, RunStatus, Store } from '../../src/store/types.js';
import { LEASE_MS, T0, WF, entry, newRun, runIn, stripSeq, uid } from './contract-helpers.js';

const NOW = T0 + 100;

/**
 * Child runs: the parent link written with the child, registerChildWait (fenced, atomic with reading
 * the child), and the wake-up a child's outcome gives its parent in the same transaction, whichever
 * statement settles the child (a write, a cancel).
 */
export function childrenContract(f: { store: Store }): void {
  /** A running parent (claimed by 'p-owner') and its child (created pending, linked at `path`). */
  /** A child's id as the engine makes it: on the parent's shard when the store is sharded. */
  const childId = (parentRunId: string) => (f.store.colocatedRunId ? f.store.colocatedRunId(parentRunId, uid('child')) : uid('child'));

  async function family(path = 'spawn@child0') {
    const parent = await runIn(f.store, 'running', { owner: 'p-owner' });
    const child = (await f.store.createRun(newRun({ runId: childId(parent.runId), parent: { runId: parent.runId, path } }))).run;
    const waitRow = entry(parent.runId, path, { kind: 'decision', status: 'waiting', input: null, output: null, meta: JSON.stringify({ child: { runId: child.runId, workflowId: WF } }), endedAt: null });
    return { parent, child, path, waitRow };
  }

  /** The child's outcome as its owner writes it: claim, then a fenced status patch. */
  async function settle(childId: string, status: RunStatus, extra: { result?: string; error?: string } = {}) {
    const claimed = await f.store.claimRun(childId, { owner: 'c-owner', leaseMs: LEASE_MS, now: NOW });
    expect(claimed).not.toBeNull();
    const out = await f.store.write([{ type: 'run', runId: childId, epoch: claimed!.run.leaseEpoch, patch: { status, release: true, ...extra }, now: NOW + 1 }]);
    expect(out.fenced).toEqual([]);
  }

  async function row(runId: string, path: string): Promise<JournalEntry | undefined> {
    return (await f.store.loadJournal(runId)).find((r) => r.path === path);
  }

  describe('child runs', () => {
    it('the child names its parent; loadLinks gives both directions, children oldest first', async () => {
      const { parent, child, path } = await family();
      const second = (await f.store.createRun(newRun({ runId: childId(parent.runId), now: T0 + 5, parent: { runId: parent.runId, path: 'spawn@child1' } }))).run;
      expect(child.parentRunId).toBe(parent.runId);
      expect((await f.store.loadRun(child.runId))?.parentRunId).toBe(parent.runId);
      expect((await f.store.loadRun(parent.runId))?.parentRunId).toBeNull();
      const links = await f.store.loadLinks!(parent.runId);
      expect(links.parent).toBeNull();
      expect(links.children.map((c) => [c.runId, c.step])).toEqual([
        [child.runId, path],
        [second.runId, 'spawn@child1'],
      ]);
      expect((await f.store.loadLinks!(child.runId)).parent).toMatchObject({ runId: parent.runId, step: path });
      // createRuns (group commit) keeps the link too.
      const [batch] = await f.store.createRuns([newRun({ runId: childId(parent.runId), parent: { runId: parent.runId, path: 'x@child0' } })]);
      expect((await f.store.loadRun(batch!.run.runId))?.parentRunId).toBe(parent.runId);
    });

    it('registerChildWait writes the waiting row while the child runs, and is fenced on a stale epoch', async () => {
      const { parent, child, path, waitRow } = await family();
      expect(await f.store.registerChildWait!({ runId: parent.runId, epoch: parent.leaseEpoch + 1, entry: waitRow, childRunId: child.runId })).toEqual({ fenced: true });
      expect(await row(parent.runId, path)).toBeUndefined();
      const res = await f.store.registerChildWait!({ runId: parent.runId, epoch: parent.leaseEpoch, entry: waitRow, childRunId: child.runId });
      expect(res).toMatchObject({ fenced: false, waiting: true, child: { runId: child.runId, status: 'pending' } });
      expect(stripSeq([(await row(parent.runId, path))!])).toEqual([waitRow]);
    });

    it('a settled or missing child is returned and nothing is written', async () => {
      const { parent, child, path, waitRow } = await family();
      await settle(child.runId, 'success', { result: '{"doubled":4}' });
      const res = await f.store.registerChildWait!({ runId: parent.runId, epoch: parent.leaseEpoch, entry: waitRow, childRunId: child.runId });
      expect(res).toMatchObject({ fenced: false, waiting: false, child: { runId: child.runId, status: 'success', result: '{"doubled":4}' } });
      expect(await row(parent.runId, path)).toBeUndefined();
      const gone = await f.store.registerChildWait!({ runId: parent.runId, epoch: parent.leaseEpoch, entry: waitRow, childRunId: 'no-such-run' });
      expect(gone).toEqual({ fenced: false, waiting: false, child: null });
    });

    it("a child's outcome resumes the waiting row and makes a waiting parent pending with a new epoch", async () => {
      const { parent, child, path, waitRow } = await family();
      await f.store.registerChildWait!({ runId: parent.runId, epoch: parent.leaseEpoch, entry: waitRow, childRunId: child.runId });
      // The parent parks: waiting, no timer, released.
      await f.store.write([{ type: 'run', runId: parent.runId, epoch: parent.leaseEpoch, patch: { status: 'waiting', wakeAt: null, release: true }, now: NOW }]);
      await settle(child.runId, 'failed', { error: '{"message":"boom"}' });
      const woken = await f.store.loadRun(parent.runId);
      expect(woken).toMatchObject({ status: 'pending', owner: null, leaseEpoch: parent.leaseEpoch + 1, wakeAt: null });
      expect((await row(parent.runId, path))?.status).toBe('resumed');
      const claimed = await f.store.claimRuns({ owner: 'w2', leaseMs: LEASE_MS, now: NOW + 2, limit: 10, workflowIds: [WF] });
      expect(claimed.map((c) => c.run.runId)).toContain(parent.runId);
    });

    it('a parent still running when the child settles is fenced (its park would be lost otherwise)', async () => {
      const { parent, child, path, waitRow } = await family();
      await f.store.registerChildWait!({ runId: parent.runId, epoch: parent.leaseEpoch, entry: waitRow, childRunId: child.runId });
      await settle(child.runId, 'success', { result: '1' });
      expect(await f.store.loadRun(parent.runId)).toMatchObject({ status: 'pending', leaseEpoch: parent.leaseEpoch + 1 });
      const late = await f.store.write([{ type: 'run', runId: parent.runId, epoch: parent.leaseEpoch, patch: { status: 'waiting', wakeAt: null, release: true }, now: NOW + 2 }]);
      expect(late.fenced).toEqual([parent.runId]);
      expect((await row(parent.runId, path))?.status).toBe('resumed');
    });

    it('canceling a child wakes its parent; a canceled parent is not woken; a suspended child wakes nobody', async () => {
      const a = await family();
      await f.store.registerChildWait!({ runId: a.parent.runId, epoch: a.parent.leaseEpoch, entry: a.waitRow, childRunId: a.child.runId });
      await f.store.cancelRun(a.child.runId, NOW);
      expect((await f.store.loadRun(a.parent.runId))?.status).toBe('pending');
      expect((await row(a.parent.runId, a.path))?.status).toBe('resumed');

      const b = await family();
      await f.store.registerChildWait!({ runId: b.parent.runId, epoch: b.parent.leaseEpoch, entry: b.waitRow, childRunId: b.child.runId });
      const canceled = await f.store.cancelRun(b.parent.runId, NOW);
      await settle(b.child.runId, 'success', { result: '1' });
      expect(await f.store.loadRun(b.parent.runId)).toMatchObject({ status: 'canceled', leaseEpoch: canceled!.leaseEpoch });
      expect((await row(b.parent.runId, b.path))?.status).toBe('waiting');

      const c = await family();
      await f.store.registerChildWait!({ runId: c.parent.runId, epoch: c.parent.leaseEpoch, entry: c.waitRow, childRunId: c.child.runId });
      await settle(c.child.runId, 'suspended');
      expect(await f.store.loadRun(c.parent.runId)).toMatchObject({ status: 'running', leaseEpoch: c.parent.leaseEpoch });
      expect((await row(c.parent.runId, c.path))?.status).toBe('waiting');
    });

    it('deleting an unfinished child wakes its parent (which finds it gone); deleting a settled one does nothing', async () => {
      const a = await family();
      await f.store.registerChildWait!({ runId: a.parent.runId, epoch: a.parent.leaseEpoch, entry: a.waitRow, childRunId: a.child.runId });
      expect(await f.store.deleteRun(a.child.runId)).toBe(true);
      expect(await f.store.loadRun(a.parent.runId)).toMatchObject({ status: 'pending', leaseEpoch: a.parent.leaseEpoch + 1 });
      expect((await row(a.parent.runId, a.path))?.status).toBe('resumed');
      expect((await f.store.loadLinks!(a.parent.runId)).children).toEqual([]);

      const b = await family();
      await settle(b.child.runId, 'success', { result: '1' });
      const before = await f.store.loadRun(b.parent.runId);
      await f.store.deleteRun(b.child.runId);
      expect(await f.store.loadRun(b.parent.runId)).toEqual(before);
    });

    it('runs without a parent settle as before: nobody is woken', async () => {
      const { parent, path, waitRow } = await family();
      const stranger = await runIn(f.store, 'running', { owner: 'x' });
      await f.store.registerChildWait!({ runId: parent.runId, epoch: parent.leaseEpoch, entry: waitRow, childRunId: stranger.runId });
      await f.store.write([{ type: 'run', runId: stranger.runId, epoch: stranger.leaseEpoch, patch: { status: 'success', release: true }, now: NOW }]);
      expect(await f.store.loadRun(parent.runId)).toMatchObject({ status: 'running', leaseEpoch: parent.leaseEpoch });
      expect((await row(parent.runId, path))?.status).toBe('waiting');
    });
  });
}
