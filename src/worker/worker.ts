import type { ClaimedRun, Store } from '../store/types.js';
import { isDeadLocalOwner } from './owner.js';
import type { CrashPointName, LeaseLossKind } from './seams.js';

/** How often a worker asks the store for housekeeping (Store.maintain). */
const MAINTAIN_EVERY_MS = 30_000;

export interface WorkerOptions {
  /** Runs this process executes at once. */
  concurrency: number;
  /** Lease length; a dead worker's runs move on after this long. */
  leaseMs: number;
  /** Fallback polling interval for runnable runs (timers and notifications wake it sooner). */
  pollMs: number;
  /** Whether the worker's timers keep the process alive (false for the default in-memory engine). */
  keepAlive: boolean;
  /**
   * How often leases are renewed (and lost or canceled runs noticed). Default leaseMs / 3; at most 1 s
   * when the store has no notifications, so a cancel from another process lands within about a second.
   */
  renewMs?: number;
  /** Stop executing a run locally once its lease has expired by this process's clock. Default true. */
  leaseGuard?: boolean;
}

/** What the worker needs from the engine: the registered workflow ids and a way to run a claim. */
export interface WorkerHost {
  store: Store;
  ownerId: string;
  workflowIds(): string[];
  /** Workflows with lifecycle callbacks: their settled runs left held by a dead owner are claimed too. */
  heldWorkflowIds?(): string[];
  /** Concurrency limits by workflow id (enforced by the store's claim across all workers). */
  limits(): Record<string, number>;
  /** Throttles by workflow id (first starts per period per key, enforced by the store's claim). */
  throttles?(): Record<string, { limit: number; periodMs: number }>;
  launch(claimed: ClaimedRun): void;
  /** Aborts a local execution whose lease was lost. */
  onLeaseLost(runId: string, kind: LeaseLossKind): void;
  onError(err: unknown): void;
  now(): number;
  crashPoint(name: CrashPointName): void;
}

/**
 * Decides which runs this process executes: claims runnable runs from the store when it has
 * capacity, renews the leases of the runs it holds in one call per interval, wakes at the next
 * durable timer, and reclaims at once the runs of dead processes on this host.
 */
export class Worker {
  /**
   * Runs executing here, with when their lease runs out by this process's clock: the time the claim or
   * the last successful renewal was sent, plus leaseMs. Never the store's expiry, which may be on
   * another clock (PostgreSQL grants leases by the database's).
   */
  private readonly active = new Map<string, number>();
  /** Slots promised to runs this process is creating already claimed (their inserts are in flight). */
  private reserved = 0;
  private guardTimer: NodeJS.Timeout | undefined;
  private renewing = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private maintainTimer: NodeJS.Timeout | undefined;
  private maintaining = false;
  private polling = false;
  private pollInFlight: Promise<void> | null = null;
  private pollAgain = false;
  private running = false;
  private pollCount = 0;

  constructor(
    private readonly host: WorkerHost,
    readonly opts: WorkerOptions,
  ) {}

  /** Slots in use: runs executing here and runs being created already claimed. */
  private get used(): number {
    return this.active.size + this.reserved;
  }

  hasCapacity(): boolean {
    return this.running && this.used < this.opts.concurrency;
  }

  /** A slot just came free after all were taken: claim more. */
  private freedOne(): void {
    if (this.running && this.used === this.opts.concurrency - 1) this.nudge();
  }

  /**
   * Takes a slot for a run about to be created (or resumed) already owned by this process. Many
   * startAsync calls share one group commit, so capacity must be counted when the claim is decided,
   * not when the insert returns; otherwise a burst would all see the same free slot.
   */
  reserve(): boolean {
    if (!this.hasCapacity()) return false;
    this.reserved++;
    return true;
  }

  /** Gives back a reserved slot: the run was launched (and is tracked now), or was never created. */
  unreserve(launched: boolean): void {
    this.reserved--;
    if (!launched) this.freedOne();
  }

  /** Marks a run as executing here, holding a lease taken at `since` (default now) by this clock. */
  track(runId: string, since?: number): void {
    this.active.set(runId, (since ?? this.host.now()) + this.opts.leaseMs);
  }

  /**
   * Whether this process may still act for the run: its lease, as last confirmed by the store, has not
   * expired by this process's clock. Once it has, another worker may already have claimed the run, so
   * the run's steps are aborted without waiting for the store to say so (a process that was paused past
   * its lease stops at its first look at the clock; fencing rejects whatever it still tries to write).
   */
  leaseHeld(runId: string): boolean {
    if (this.opts.leaseGuard === false) return true;
    const until = this.active.get(runId);
    return until === undefined || this.host.now() < until;
  }

  /** Whether the run is executing here. */
  tracks(runId: string): boolean {
    return this.active.has(runId);
  }

  untrack(runId: string): void {
    this.active.delete(runId);
    this.freedOne();
  }

  async start(): Promise<void> {
    this.running = true;
    const byLease = Math.floor(this.opts.leaseMs / 3);
    const renewEvery = Math.max(50, this.opts.renewMs ?? (this.host.store.subscribe ? byLease : Math.min(byLease, 1000)));
    this.renewTimer = setInterval(() => void this.renew(), renewEvery);
    this.renewTimer.unref();
    if (this.opts.leaseGuard !== false) {
      this.guardTimer = setInterval(() => this.guard(), Math.max(20, Math.min(250, Math.floor(this.opts.leaseMs / 10))));
      this.guardTimer.unref();
    }
    if (this.host.store.maintain) {
      this.maintainTimer = setInterval(() => void this.maintain(), MAINTAIN_EVERY_MS);
      this.maintainTimer.unref();
    }
    await this.reapDeadOwners();
    await this.poll();
  }

  private async maintain(): Promise<void> {
    if (this.maintaining) return;
    this.maintaining = true;
    try {
      await this.host.store.maintain?.();
    } catch (err) {
      this.host.onError(err);
    } finally {
      this.maintaining = false;
    }
  }

  /** Stops claiming; the engine waits for in-flight runs and releases them. */
  stop(): void {
    this.running = false;
    clearTimeout(this.pollTimer);
    clearInterval(this.renewTimer);
    clearInterval(this.guardTimer);
    clearInterval(this.maintainTimer);
  }

  /** Another process made a run of this workflow claimable: poll soon, with jitter so N workers spread. */
  wake(workflowId: string): void {
    if (!this.running || !this.hasCapacity() || !this.host.workflowIds().includes(workflowId)) return;
    const jitter = Math.floor(Math.random() * Math.min(50, this.opts.pollMs));
    setTimeout(() => this.nudge(), jitter).unref();
  }

  /** Checks at once whether the runs held here are still ours (after missed notifications). */
  recheck(): void {
    this.nudge();
    void this.renew();
  }

  private guard(): void {
    for (const runId of this.active.keys()) if (!this.leaseHeld(runId)) this.host.onLeaseLost(runId, 'expired');
  }

  /** Asks for a poll as soon as possible (a run was queued, capacity freed, a timer is due). */
  nudge(): void {
    if (!this.running) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.poll(), 0);
  }

  /**
   * Resolves once the poll in flight (if any) has ended. stop() cannot cancel a claim the store is
   * answering: the engine waits for it before it stops its executions, so runs that claim hands over
   * are stopped and released with the others, and the store is not closed under it.
   */
  idle(): Promise<void> {
    return this.pollInFlight ?? Promise.resolve();
  }

  private poll(): Promise<void> {
    if (!this.running || this.polling) return Promise.resolve();
    const p = this.pollOnce().finally(() => {
      if (this.pollInFlight === p) this.pollInFlight = null;
    });
    this.pollInFlight = p;
    return p;
  }

  private async pollOnce(): Promise<void> {
    this.polling = true;
    let nextWake: number | null = null;
    try {
      if (++this.pollCount % 10 === 0) await this.reapDeadOwners();
      const free = this.opts.concurrency - this.used;
      if (free > 0) {
        const ids = this.host.workflowIds();
        if (ids.length > 0) {
          // The lease counts from before the request: the store's is at least this late.
          const sentAt = this.host.now();
          const throttles = this.host.throttles?.();
          const claimed = await this.host.store.claimRuns({
            owner: this.host.ownerId,
            leaseMs: this.opts.leaseMs,
            now: sentAt,
            limit: Math.min(free, 100),
            workflowIds: ids,
            limits: this.host.limits(),
            ...(throttles && Object.keys(throttles).length ? { throttles } : {}),
          });
          if (claimed.length > 0) this.host.crashPoint('claim:after');
          for (const c of claimed) {
            this.track(c.run.runId, sentAt);
            this.host.launch(c);
          }
          if (claimed.length === Math.min(free, 100) && claimed.length > 0) this.pollAgain = true;
          await this.claimHeld(free - claimed.length, this.pollCount % 10 === 1);
          nextWake = await this.host.store.nextWakeAt(ids);
        }
      }
    } catch (err) {
      this.host.onError(err);
    } finally {
      this.polling = false;
    }
    if (!this.running) return;
    const jitter = Math.floor(Math.random() * this.opts.pollMs * 0.2);
    let delay = this.pollAgain ? 0 : this.opts.pollMs + jitter;
    this.pollAgain = false;
    if (nextWake !== null) delay = Math.min(delay, Math.max(0, nextWake - this.host.now()));
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.poll(), delay);
    if (!this.opts.keepAlive) this.pollTimer.unref();
  }

  /**
   * Settled runs whose owner died before recording their lifecycle callbacks or, for a canceled run,
   * its cascade to its child runs (lease expired, run not released): claimed like runnable runs, and
   * launched to do that work again.
   */
  private async claimHeld(free: number, everyWorkflow: boolean): Promise<void> {
    const claim = this.host.store.claimUnreleased;
    if (!claim || free <= 0) return;
    // Every workflow's runs may be held by a canceler that died (a cancel's cascade to child runs is
    // held like callbacks): looked for now and then, not on every poll like held callbacks.
    const ids = everyWorkflow ? this.host.workflowIds() : (this.host.heldWorkflowIds?.() ?? []);
    if (ids.length === 0) return;
    const sentAt = this.host.now();
    const claimed = await claim.call(this.host.store, { owner: this.host.ownerId, leaseMs: this.opts.leaseMs, now: sentAt, limit: Math.min(free, 100), workflowIds: ids });
    for (const c of claimed) {
      this.track(c.run.runId, sentAt);
      this.host.launch(c);
    }
  }

  private async renew(): Promise<void> {
    if (this.active.size === 0 || this.renewing) return;
    this.renewing = true;
    try {
      // The new expiry counts from before the request: the store's copy is at least this late.
      const sentAt = this.host.now();
      const ids = [...this.active.keys()];
      const { lost, skipped } = await this.host.store.renewLeases(this.host.ownerId, ids, this.opts.leaseMs, sentAt);
      // Skipped: still ours, but not extended (its row was locked elsewhere); the old expiry stands.
      const gone = new Set([...lost, ...(skipped ?? [])]);
      for (const id of ids) if (!gone.has(id) && this.active.has(id)) this.active.set(id, sentAt + this.opts.leaseMs);
      for (const id of lost) this.host.onLeaseLost(id, 'renew');
    } catch (err) {
      this.host.onError(err);
    } finally {
      this.renewing = false;
    }
  }

  /** Runs owned by a process on this host that no longer exists are released at once. */
  private async reapDeadOwners(): Promise<void> {
    try {
      const owners = await this.host.store.listOwners(this.host.now());
      for (const o of owners) {
        if (isDeadLocalOwner(o, this.host.ownerId) && (await this.host.store.expireOwner(o)) > 0) this.pollAgain = true;
      }
    } catch (err) {
      this.host.onError(err);
    }
  }
}
