import { LeaseLostError, StoreError } from '../errors.js';
import type { Store, WriteOp } from '../store/types.js';
import { withStoreRetry, type RetryPolicy } from './store-retry.js';
import { crashPoint, testHooks } from '../testing/crash-points.js';

interface Pending {
  op: WriteOp;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: writes from every run in this process are queued and flushed together, one store
 * transaction per event-loop turn (or sooner when the batch is full). A caller's promise resolves only
 * once its batch committed, so "done" always means "durable" while throughput grows with concurrency.
 */
export class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly retry: RetryPolicy,
    private readonly maxBatch = 2000,
  ) {}

  write(op: WriteOp): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.kick();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.kick());
      }
    });
  }

  /** Resolves when everything queued so far is committed (used by stop()). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) {
      if (this.flushing) await this.flushing;
      else this.kick();
    }
  }

  private kick(): void {
    this.scheduled = false;
    if (this.flushing || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.flush(batch).finally(() => {
      this.flushing = null;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      const ops = batch.map((p) => p.op);
      crashPoint('commit:before');
      const { fenced } = await withStoreRetry(() => this.store.write(ops), this.retry);
      crashPoint('commit:after');
      testHooks.committed?.(ops);
      const lost = fenced.length ? new Set(fenced) : null;
      for (const p of batch) {
        const runId = p.op.type === 'journal' ? p.op.entry.runId : p.op.runId;
        if (lost?.has(runId)) p.reject(new LeaseLostError(runId));
        else p.resolve();
      }
    } catch (err) {
      const e = err instanceof StoreError ? err : new StoreError('store write failed', { cause: err });
      for (const p of batch) p.reject(e);
    }
  }
}
