import { LeaseLostError, StoreError, WeftError } from '../errors.js';
import { runIdOf, type NewRun, type RunRecord, type SettledCreate, type Store, type WriteOp } from '../store/types.js';
import { withStoreRetry, type RetryPolicy } from './store-retry.js';
import type { Seams } from '../worker/seams.js';

/** A store's own error, or any other failure of a store call, as the StoreError callers can rely on. */
function asStoreFailure(err: unknown): unknown {
  return err instanceof WeftError ? err : new StoreError('store write failed', { cause: err });
}

/** Who hears of committed batches: asked first whether anyone waits, so a batch nobody waits on costs nothing. */
export interface CommitListener {
  wanted(): boolean;
  committed(runIds: Iterable<string>): void;
}

interface PendingWrite {
  op: WriteOp;
  resolve: () => void;
  reject: (err: unknown) => void;
  /** When the store first deferred this op (its run's row was locked elsewhere), and how often since. */
  deferredAt?: number;
  tries?: number;
}

interface PendingCreate {
  run: NewRun;
  resolve: (r: { created: boolean; run: RunRecord }) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: writes from every run in this process (and the creation of new runs) are queued and
 * flushed together, one store transaction per kind per event-loop turn, or sooner when a batch is
 * full. A caller's promise resolves only once its batch committed, so "done" always means "durable",
 * while throughput grows with concurrency.
 */
export class GroupCommitter {
  private writes: PendingWrite[] = [];
  private creates: PendingCreate[] = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly createsInFlight = new Set<Promise<void>>();
  private readonly writesInFlight = new Set<Promise<void>>();
  /**
   * Ops of runs the store deferred (writeSettled: their row is locked by another transaction), in order.
   * They go back into the queue after a short back-off; until then newer ops of the same run wait here
   * too, so a run's writes are never reordered. Other runs' batches go on meanwhile.
   */
  private readonly held = new Map<string, PendingWrite[]>();
  private released: (() => void)[] = [];
  /** Told which runs each batch committed writes for, while it wants to be (run stream readers wake on it). */
  private onCommit: CommitListener | null = null;

  /**
   * @param maxInFlight batches committing at once per lane (creations, writes). 1 on every store: while a batch commits, new writes
   * queue and go out together as the next batch. On PostgreSQL overlapping batches were measured to be
   * slower, not faster (2-core machine, scenario b: ~5-7k steps/s with 2-4 batches in flight against
   * ~16k with one), since each statement costs the server about the same whatever its size.
   */
  constructor(
    private readonly store: Store,
    private readonly retry: RetryPolicy,
    private readonly seams: Seams,
    private readonly maxBatch = 2000,
    private readonly maxInFlight = 1,
  ) {}

  /** Sets who hears of committed batches (the engine's EventHub). */
  setCommitListener(listener: CommitListener): void {
    this.onCommit = listener;
  }

  write(op: WriteOp): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const held = this.held.get(runIdOf(op));
      if (held) held.push({ op, resolve, reject });
      else {
        this.writes.push({ op, resolve, reject });
        this.schedule(this.writes.length);
      }
    });
  }

  /**
   * Writes ops of one run that must commit together (a journal row and the run patch it implies): they
   * are queued at once, so no batch boundary falls between them. Resolves once all committed.
   */
  writeAll(ops: WriteOp[]): Promise<void> {
    if (ops.length === 1) return this.write(ops[0]!);
    const done = ops.map(
      (op) =>
        new Promise<void>((resolve, reject) => {
          const held = this.held.get(runIdOf(op));
          if (held) held.push({ op, resolve, reject });
          else this.writes.push({ op, resolve, reject });
        }),
    );
    this.schedule(this.writes.length);
    return Promise.all(done).then(() => undefined);
  }

  /** Creates a run durably; resolves once the row is committed (created=false when the id existed). */
  create(run: NewRun): Promise<{ created: boolean; run: RunRecord }> {
    return new Promise((resolve, reject) => {
      this.creates.push({ run, resolve, reject });
      this.schedule(this.creates.length);
    });
  }

  /** Resolves when everything queued so far is committed (used by stop()). */
  async drain(): Promise<void> {
    while (this.writes.length > 0 || this.creates.length > 0 || this.inFlight.size > 0 || this.held.size > 0) {
      if (this.inFlight.size > 0) await Promise.race(this.inFlight);
      else if (this.writes.length > 0 || this.creates.length > 0) this.kick();
      else await new Promise<void>((r) => this.released.push(r));
    }
  }

  private schedule(queued: number): void {
    if (queued >= this.maxBatch) this.kick();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.kick());
    }
  }

  /**
   * Two lanes, each with its own batch in flight: run creations (acknowledgements a caller is waiting
   * on) never queue behind a large batch of step writes, nor step writes behind a burst of starts. They
   * cannot conflict: a run's writes are only issued once its creation has committed.
   */
  private kick(): void {
    this.scheduled = false;
    if (this.creates.length > 0 && this.createsInFlight.size < this.maxInFlight) {
      const creates = this.creates;
      this.creates = [];
      this.track(this.createsInFlight, this.flushCreates(creates));
    }
    if (this.writes.length > 0 && this.writesInFlight.size < this.maxInFlight) {
      const writes = this.writes;
      this.writes = [];
      this.track(this.writesInFlight, this.flushWrites(writes));
    }
  }

  private track(lane: Set<Promise<void>>, work: Promise<void>): void {
    const flush: Promise<void> = work.finally(() => {
      lane.delete(flush);
      this.inFlight.delete(flush);
      if (this.writes.length > 0 || this.creates.length > 0) this.kick();
    });
    lane.add(flush);
    this.inFlight.add(flush);
  }

  private async flushCreates(batch: PendingCreate[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      const runs = batch.map((p) => p.run);
      // A store that isolates failures reports them per run: one bad start fails alone, not the batch.
      const settled = this.store.createRunsSettled;
      const results: SettledCreate[] = settled
        ? await withStoreRetry(() => settled.call(this.store, runs), this.retry)
        : await withStoreRetry(() => this.store.createRuns(runs), this.retry);
      batch.forEach((p, i) => {
        const r = results[i]!;
        if (r.error) p.reject(r.error);
        else p.resolve(r);
      });
    } catch (err) {
      const e = err instanceof StoreError ? err : new StoreError('creating runs failed', { cause: err });
      for (const p of batch) p.reject(e);
    }
  }

  private async flushWrites(batch: PendingWrite[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      const ops = batch.map((p) => p.op);
      this.seams.crash?.('commit:before');
      const settled = this.store.writeSettled;
      const out = settled
        ? await withStoreRetry(() => settled.call(this.store, ops), this.retry)
        : await withStoreRetry(() => this.store.write(ops), this.retry);
      this.seams.crash?.('commit:after');
      const lost = new Set(out.fenced);
      const failed = new Map<string, Error>();
      const later = new Set(out.deferred);
      // A retryable failure of one run (met after other runs of the batch committed) is retried like a
      // deferral; anything else fails that run's ops alone.
      for (const f of out.failed ?? []) {
        if (f.error instanceof StoreError && f.error.retryable) later.add(f.runId);
        else failed.set(f.runId, f.error);
      }
      const skipped = (op: WriteOp): boolean => lost.has(runIdOf(op)) || failed.has(runIdOf(op)) || later.has(runIdOf(op));
      // Ops not written are left out: observers see only what the store actually committed.
      this.seams.committed?.(lost.size || failed.size || later.size ? ops.filter((op) => !skipped(op)) : ops);
      const hold: PendingWrite[] = [];
      for (const p of batch) {
        const runId = runIdOf(p.op);
        if (lost.has(runId)) p.reject(new LeaseLostError(runId));
        else if (failed.has(runId)) p.reject(asStoreFailure(failed.get(runId)));
        else if (later.has(runId)) hold.push(p);
        else p.resolve();
      }
      for (const runId of later) this.hold(runId, hold.filter((p) => runIdOf(p.op) === runId));
      if (this.onCommit?.wanted()) this.notify(ops, skipped);
    } catch (err) {
      const e = err instanceof StoreError ? err : new StoreError('store write failed', { cause: err });
      for (const p of batch) p.reject(e);
    }
  }

  private notify(ops: WriteOp[], skipped: (op: WriteOp) => boolean): void {
    const ids = new Set<string>();
    for (const op of ops) if (!skipped(op)) ids.add(runIdOf(op));
    this.onCommit!.committed(ids);
  }

  /**
   * Parks a deferred run's ops (and any newer ones already queued) and puts them back into the queue
   * after a back-off (10 ms doubling to 1 s). Gives up with a retryable STORE_LOCKED error once the run
   * has been deferred for longer than the store retry policy allows.
   */
  private hold(runId: string, ops: PendingWrite[]): void {
    if (ops.length === 0) return;
    const now = Date.now();
    const since = Math.min(...ops.map((p) => p.deferredAt ?? now));
    const tries = Math.max(...ops.map((p) => p.tries ?? 0)) + 1;
    if (now - since > this.retry.maxMs || this.retry.isStopped?.()) {
      const err = new StoreError(`run "${runId}" stayed locked by another database transaction`, { code: 'STORE_LOCKED', retryable: true });
      for (const p of ops) p.reject(err);
      return;
    }
    // Queued while the batch was in flight (one batch at a time, so none of them is in flight now).
    const newer = this.writes.filter((p) => runIdOf(p.op) === runId);
    if (newer.length) this.writes = this.writes.filter((p) => runIdOf(p.op) !== runId);
    const list = [...ops, ...newer].map((p) => ({ ...p, deferredAt: since, tries }));
    const already = this.held.get(runId);
    if (already) {
      // Cannot happen while one batch is in flight at a time; never drop held ops if it does.
      already.push(...list);
      return;
    }
    this.held.set(runId, list);
    setTimeout(() => {
      const back = this.held.get(runId) ?? [];
      this.held.delete(runId);
      this.writes.push(...back);
      this.schedule(this.writes.length);
      const waiting = this.released;
      this.released = [];
      for (const r of waiting) r();
    }, Math.min(1000, 10 * 2 ** (tries - 1)));
  }
}
