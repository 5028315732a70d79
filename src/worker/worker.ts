import type { ClaimedRun, Store } from '../store/types.js';
import { isDeadLocalOwner } from './owner.js';
import { crashPoint } from '../testing/crash-points.js';

export interface WorkerOptions {
  /** Runs this process executes at once. */
  concurrency: number;
  /** Lease length; a dead worker's runs move on after this long. */
  leaseMs: number;
  /** Fallback polling interval for runnable runs (timers and notifications wake it sooner). */
  pollMs: number;
  /** Whether the worker's timers keep the process alive (false for the default in-memory engine). */
  keepAlive: boolean;
}

/** What the worker needs from the engine: the registered workflow ids and a way to run a claim. */
export interface WorkerHost {
  store: Store;
  ownerId: string;
  workflowIds(): string[];
  launch(claimed: ClaimedRun): void;
  /** Aborts a local execution whose lease was lost. */
  onLeaseLost(runId: string): void;
  onError(err: unknown): void;
  now(): number;
}

/**
 * Decides which runs this process executes: claims runnable runs from the store when it has
 * capacity, renews the leases of the runs it holds in one call per interval, wakes at the next
 * durable timer, and reclaims at once the runs of dead processes on this host.
 */
export class Worker {
  private readonly active = new Set<string>();
  private pollTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private pollAgain = false;
  private running = false;
  private pollCount = 0;

  constructor(
    private readonly host: WorkerHost,
    readonly opts: WorkerOptions,
  ) {}

  get activeCount(): number {
    return this.active.size;
  }

  hasCapacity(): boolean {
    return this.running && this.active.size < this.opts.concurrency;
  }

  /** Marks a run as executing here (the engine launched it directly, without a claim round trip). */
  track(runId: string): void {
    this.active.add(runId);
  }

  untrack(runId: string): void {
    this.active.delete(runId);
    if (this.running && this.active.size === this.opts.concurrency - 1) this.nudge();
  }

  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  async start(): Promise<void> {
    this.running = true;
    const renewEvery = Math.max(50, Math.floor(this.opts.leaseMs / 3));
    this.renewTimer = setInterval(() => void this.renew(), renewEvery);
    this.renewTimer.unref();
    await this.reapDeadOwners();
    await this.poll();
  }

  /** Stops claiming; the engine waits for in-flight runs and releases them. */
  stop(): void {
    this.running = false;
    clearTimeout(this.pollTimer);
    clearInterval(this.renewTimer);
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

  private async poll(): Promise<void> {
    if (!this.running || this.polling) return;
    this.polling = true;
    let nextWake: number | null = null;
    try {
      if (++this.pollCount % 10 === 0) await this.reapDeadOwners();
      const free = this.opts.concurrency - this.active.size;
      if (free > 0) {
        const ids = this.host.workflowIds();
        if (ids.length > 0) {
          const claimed = await this.host.store.claimRuns({
            owner: this.host.ownerId,
            leaseMs: this.opts.leaseMs,
            now: this.host.now(),
            limit: Math.min(free, 100),
            workflowIds: ids,
          });
          if (claimed.length > 0) crashPoint('claim:after');
          for (const c of claimed) {
            this.active.add(c.run.runId);
            this.host.launch(c);
          }
          if (claimed.length === Math.min(free, 100) && claimed.length > 0) this.pollAgain = true;
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

  private async renew(): Promise<void> {
    if (this.active.size === 0) return;
    try {
      const { lost } = await this.host.store.renewLeases(this.host.ownerId, [...this.active], this.opts.leaseMs, this.host.now());
      for (const id of lost) this.host.onLeaseLost(id);
    } catch (err) {
      this.host.onError(err);
    }
  }

  /** Runs owned by a process on this host that no longer exists are released at once. */
  private async reapDeadOwners(): Promise<void> {
    try {
      const owners = await this.host.store.listOwners(this.host.now());
      for (const o of owners) {
        if (isDeadLocalOwner(o, this.host.ownerId)) await this.host.store.expireOwner(o);
      }
    } catch (err) {
      this.host.onError(err);
    }
  }
}
