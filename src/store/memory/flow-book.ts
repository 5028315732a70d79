import type { FlowKeyRow, FlowKind } from '../shared/flow-rules.js';

/**
 * The memory store's flow-control tables: flow_keys (which run holds an idempotency, singleton,
 * debounce or batch key) and flow_runs (runs under a rate limit or throttle and when they started).
 */
export class FlowBook {
  private readonly keys = new Map<string, FlowKeyRow>();
  /** (workflow, rate key) -> run id -> start time (null: not started yet). */
  private readonly groups = new Map<string, Map<string, number | null>>();
  /** run id -> its group, so a claim finds a run's key. */
  private readonly byRun = new Map<string, { group: string; key: string }>();

  private static keyOf(workflowId: string, kind: FlowKind, key: string): string {
    return `${workflowId}\u0000${kind}\u0000${key}`;
  }

  private static groupOf(workflowId: string, key: string): string {
    return `${workflowId}\u0000${key}`;
  }

  key(workflowId: string, kind: FlowKind, key: string): FlowKeyRow | null {
    const row = this.keys.get(FlowBook.keyOf(workflowId, kind, key));
    return row ? { ...row } : null;
  }

  putKey(row: FlowKeyRow): void {
    this.keys.set(FlowBook.keyOf(row.workflowId, row.kind, row.key), { ...row });
  }

  dropKey(workflowId: string, kind: FlowKind, key: string): void {
    this.keys.delete(FlowBook.keyOf(workflowId, kind, key));
  }

  addFlowRun(runId: string, workflowId: string, key: string, startedAt: number | null): void {
    const group = FlowBook.groupOf(workflowId, key);
    let g = this.groups.get(group);
    if (!g) this.groups.set(group, (g = new Map()));
    g.set(runId, startedAt);
    this.byRun.set(runId, { group, key });
  }

  countStarts(workflowId: string, key: string, since: number): number {
    let n = 0;
    for (const at of this.groups.get(FlowBook.groupOf(workflowId, key))?.values() ?? []) if (at !== null && at > since) n++;
    return n;
  }

  pruneStarts(workflowId: string, key: string, before: number): void {
    const g = this.groups.get(FlowBook.groupOf(workflowId, key));
    if (!g) return;
    for (const [runId, at] of g) {
      if (at !== null && at <= before) {
        g.delete(runId);
        this.byRun.delete(runId);
      }
    }
  }

  /**
   * A run's throttle key and whether it started already. A run without a row is not throttled: either
   * its start left every window and its row was pruned (it must not count again when taken over), or
   * it was not created through an admission.
   */
  throttleOf(runId: string): { key: string; started: boolean } {
    const at = this.byRun.get(runId);
    if (!at) return { key: '', started: true };
    return { key: at.key, started: (this.groups.get(at.group)?.get(runId) ?? null) !== null };
  }

  /** Records a run's first start (claim). */
  started(runId: string, workflowId: string, key: string, now: number): void {
    this.addFlowRun(runId, workflowId, key, now);
  }
}
