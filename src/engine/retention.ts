import type { AnyWorkflow } from '../define/workflow.js';
import type { EventPruneRequest, PruneRequest, Store } from '../store/types.js';

/** Batches one workflow and outcome may take in one pass: a large backlog drains over several passes. */
const MAX_BATCHES_PER_PASS = 20;

export interface RetentionDeps {
  store: Store;
  /** The registered workflows with a retention policy. */
  workflows(): AnyWorkflow[];
  now(): number;
  storeCall<T>(fn: () => Promise<T>): Promise<T>;
  onError(err: unknown): void;
  /** events.keepMs: an event its run took is deleted this long after. */
  eventKeepMs: number;
}

/** Counters of what retention pruned in this process (docs/operations.md, "Retention"). */
export interface RetentionStats {
  /** Passes completed. */
  passes: number;
  /** Batches run (one short store transaction each). */
  batches: number;
  /** Runs deleted, by workflow id and outcome. */
  deleted: Record<string, { success: number; failed: number; canceled: number }>;
  /** Stored events deleted (expired, or taken by the run they were sent to; token records with them). */
  eventsDeleted: number;
  /** When the last pass ended (ms), or null. */
  lastPassAt: number | null;
  /** How long the last pass took (ms). */
  lastPassMs: number | null;
  /** The last pass's error message, or null when it succeeded. */
  lastError: string | null;
}

/**
 * Applies workflows' retention policies (`retention: { success: '7d', failed: '30d' }`) in the
 * background of a worker: every `everyMs`, for each policy, finished runs older than its duration are
 * deleted with their journals in batches of `batch` runs, each batch its own short transaction, so
 * claims and writes of other runs are never held up for long. Then the stored events nothing can take
 * any more go the same way (see EventPruneRequest). Runs still held for their lifecycle
 * callbacks or onFailure are kept until that work is recorded. Every worker prunes; the store makes
 * concurrent passes safe (PostgreSQL skips rows another pass has locked; SQLite serialises).
 */
export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<{ runs: number; events: number }> | null = null;
  readonly stats: RetentionStats = { passes: 0, batches: 0, deleted: {}, eventsDeleted: 0, lastPassAt: null, lastPassMs: null, lastError: null };

  constructor(
    private readonly d: RetentionDeps,
    private readonly everyMs: number,
    private readonly batch: number,
  ) {}

  start(): void {
    if (this.timer || !this.d.store.pruneRuns) return;
    this.timer = setInterval(() => void this.pass().catch(() => undefined), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Waits for a pass in flight (stop() before the store closes). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /** One pass over every policy and the events now; returns what it deleted. One pass at a time per process. */
  pass(): Promise<{ runs: number; events: number }> {
    this.running ??= this.passOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async passOnce(): Promise<{ runs: number; events: number }> {
    const prune = this.d.store.pruneRuns;
    if (!prune) return { runs: 0, events: 0 };
    const started = this.d.now();
    let total = 0;
    try {
      for (const wf of this.d.workflows()) {
        const policy = wf.operations.retention ?? {};
        for (const status of ['success', 'failed', 'canceled'] as const) {
          const ttl = policy[status];
          if (ttl === undefined) continue;
          const req: PruneRequest = { workflowId: wf.id, status, before: this.d.now() - ttl, limit: this.batch };
          for (let i = 0; i < MAX_BATCHES_PER_PASS; i++) {
            const n = await this.d.storeCall(() => prune.call(this.d.store, req));
            this.stats.batches++;
            total += n;
            const counts = (this.stats.deleted[wf.id] ??= { success: 0, failed: 0, canceled: 0 });
            counts[status] += n;
            if (n < this.batch) break;
            // Let claims and writes of this process in between batches.
            await new Promise((r) => setImmediate(r));
          }
        }
      }
      const events = await this.pruneEvents();
      this.stats.lastError = null;
      return { runs: total, events };
    } catch (err) {
      this.stats.lastError = (err as Error)?.message ?? String(err);
      this.d.onError(err);
      throw err;
    } finally {
      this.stats.passes++;
      this.stats.lastPassAt = this.d.now();
      this.stats.lastPassMs = this.d.now() - started;
    }
  }

  /** Stored events nothing can take any more, in batches like runs (see EventPruneRequest). */
  private async pruneEvents(): Promise<number> {
    const prune = this.d.store.pruneEvents;
    if (!prune) return 0;
    let total = 0;
    for (let i = 0; i < MAX_BATCHES_PER_PASS; i++) {
      const now = this.d.now();
      // keepMs: Infinity keeps them for good: the earliest time there is, which no event was taken before.
      const req: EventPruneRequest = { now, consumedBefore: Math.max(now - this.d.eventKeepMs, -8.64e15), limit: this.batch };
      const n = await this.d.storeCall(() => prune.call(this.d.store, req));
      this.stats.batches++;
      this.stats.eventsDeleted += n;
      total += n;
      if (n < this.batch) break;
      await new Promise((r) => setImmediate(r));
    }
    return total;
  }
}
