import { checkChildWait, childSettled, wakeParent } from '../shared/child-rules.js';
import type { ChildWaitRequest, ChildWaitResult, JournalEntry, RunLink, RunRecord } from '../types.js';

/** What the child-run book needs of a memory store's run. */
export interface ChildRunEntry {
  record: RunRecord;
  journal: Map<string, JournalEntry>;
  /** For a child run: its parent and the path of the parent's row that waits for it. */
  parent?: { runId: string; path: string };
}

/**
 * The memory store's child runs: the parent -> children index, the child wait, and the wake-up a
 * child's outcome (or its deletion before one) gives its parent, as the SQL stores' triggers do.
 */
export class MemoryChildren<R extends ChildRunEntry> {
  /** Child runs by parent id (cancel looks children up on every cancel of an unfinished run). */
  private readonly byParent = new Map<string, Set<R>>();

  constructor(
    private readonly runs: {
      run(id: string): R | undefined;
      /** The parent's status or row changed (index refresh). */
      changed(r: R): void;
    },
  ) {}

  link(r: R, parent: { runId: string; path: string } | null | undefined): void {
    if (!parent) return;
    r.parent = { ...parent };
    let set = this.byParent.get(parent.runId);
    if (!set) this.byParent.set(parent.runId, (set = new Set()));
    set.add(r);
  }

  /** The run's children (oldest first) and its own parent link. */
  links(r: R | undefined, runId: string): { parent: RunLink | null; children: RunLink[] } {
    const children = [...(this.byParent.get(runId) ?? [])].map((x) => ({ runId: x.record.runId, step: x.parent!.path, createdAt: x.record.createdAt }));
    children.sort((a, b) => a.createdAt - b.createdAt || (a.runId < b.runId ? -1 : 1));
    const parent = r?.parent ? { runId: r.parent.runId, step: r.parent.path, createdAt: r.record.createdAt } : null;
    return { parent, children };
  }

  wait(req: ChildWaitRequest): ChildWaitResult {
    checkChildWait(req);
    const r = this.runs.run(req.runId);
    if (!r || r.record.leaseEpoch !== req.epoch) return { fenced: true };
    const child = this.runs.run(req.childRunId);
    if (!child || childSettled(child.record.status)) return { fenced: false, waiting: false, child: child ? { ...child.record } : null };
    r.journal.set(req.entry.path, { ...req.entry });
    return { fenced: false, waiting: true, child: { ...child.record } };
  }

  /** Call after a run's status changed from `before`: a child that settled wakes its parent. */
  statusChanged(r: R, before: RunRecord['status'], now: number): void {
    if (r.parent && before !== r.record.status && !childSettled(before) && childSettled(r.record.status)) this.wake(r.parent, now);
  }

  /** Call when a run is deleted: an unfinished child wakes its parent, which then finds it gone. */
  deleted(r: R): void {
    if (!r.parent) return;
    this.byParent.get(r.parent.runId)?.delete(r);
    if (!childSettled(r.record.status)) this.wake(r.parent, r.record.updatedAt);
  }

  private wake(parent: { runId: string; path: string }, now: number): void {
    const p = this.runs.run(parent.runId);
    const row = wakeParent(p?.record, p?.journal.get(parent.path), Math.max(now, p?.record.updatedAt ?? now));
    if (!row || !p) return;
    p.journal.set(parent.path, row);
    this.runs.changed(p);
  }
}
