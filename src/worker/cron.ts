import { createRequire } from 'node:module';
import type { Cron } from 'croner';
import { InvalidArgumentError } from '../errors.js';
import type { ScheduleRecord, Store } from '../store/types.js';
import { cronRunId } from '../domain/ids.js';

export interface ScheduleSpec {
  cron: string;
  timezone?: string;
  inputData?: unknown;
}

export interface SchedulerHost {
  store: Store;
  /** Scheduled workflows registered in this process. */
  scheduled(): { workflowId: string; schedule: ScheduleSpec }[];
  /** Starts a run with this id (idempotent: an existing id starts nothing). Returns whether it was created. */
  fire(workflowId: string, runId: string, inputData: unknown): Promise<boolean>;
  onError(err: unknown): void;
  now(): number;
}

/** croner, loaded with the first schedule rather than by `import 'weft'` (most programs have none). */
let croner: typeof Cron | undefined;
function cronClass(): typeof Cron {
  croner ??= (createRequire(import.meta.url)('croner') as { Cron: typeof Cron }).Cron;
  return croner;
}

/** Parses a schedule's expression; throws InvalidArgumentError naming the workflow when it is invalid. */
export function parseSchedule(workflowId: string, spec: ScheduleSpec): Cron {
  if (!spec || typeof spec.cron !== 'string') {
    throw new InvalidArgumentError(`workflow "${workflowId}": schedule.cron must be a cron expression`);
  }
  const CronClass = cronClass();
  try {
    return new CronClass(spec.cron, { timezone: spec.timezone, paused: true });
  } catch (err) {
    throw new InvalidArgumentError(`workflow "${workflowId}": invalid schedule "${spec.cron}": ${(err as Error).message}`);
  }
}

/** The latest fire time in (after, upTo], or null. Walks forward; bounded for very dense schedules. */
export function latestFire(cron: Cron, after: number, upTo: number): number | null {
  let last: number | null = null;
  let from = new Date(after);
  for (let i = 0; i < 100_000; i++) {
    const next = cron.nextRun(from);
    if (!next || next.getTime() > upTo) break;
    last = next.getTime();
    from = next;
  }
  return last;
}

const MAX_TIMER_MS = 60_000;

/**
 * Fires cron schedules. Every worker process runs one; they agree through the store:
 * - each fire time maps to one run id (cronRunId), so N workers firing make one run;
 * - pause state and `since` live in the schedules table, read at each fire;
 * - missed fires (every worker down, or this process paused): only the latest due fire runs, once;
 *   older ones are skipped. Fires before `since` (before the schedule existed, or while it was paused)
 *   never run, and a fire already recorded as handled (last_fire_at) is not repeated.
 */
export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly crons = new Map<string, { cron: Cron; spec: ScheduleSpec; handled: number }>();
  private running = false;

  constructor(
    private readonly host: SchedulerHost,
    private readonly keepAlive: boolean,
  ) {}

  async start(): Promise<void> {
    this.running = true;
    const now = this.host.now();
    for (const { workflowId, schedule } of this.host.scheduled()) {
      const cron = parseSchedule(workflowId, schedule);
      this.crons.set(workflowId, { cron, spec: schedule, handled: now });
      try {
        const row = await this.host.store.ensureSchedule(workflowId, now);
        // Catch-up: the latest fire missed while no worker ran, if it is after `since` and not yet handled.
        const after = Math.max(row.since - 1, row.lastFireAt ?? -Infinity);
        const due = latestFire(cron, after, now);
        if (due !== null && !row.paused) await this.fireAt(workflowId, due, row);
      } catch (err) {
        this.host.onError(err);
      }
      this.arm(workflowId);
    }
  }

  stop(): void {
    this.running = false;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private arm(workflowId: string): void {
    const c = this.crons.get(workflowId);
    if (!c || !this.running) return;
    const next = c.cron.nextRun(new Date(Math.max(c.handled, this.host.now() - 1)));
    if (!next) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, next.getTime() - this.host.now()));
    const timer = setTimeout(() => void this.tick(workflowId), delay);
    if (!this.keepAlive) timer.unref();
    this.timers.set(workflowId, timer);
  }

  private async tick(workflowId: string): Promise<void> {
    this.timers.delete(workflowId);
    const c = this.crons.get(workflowId);
    if (!c || !this.running) return;
    const now = this.host.now();
    const due = latestFire(c.cron, c.handled, now);
    if (due !== null) {
      c.handled = due;
      try {
        const row = await this.host.store.ensureSchedule(workflowId, now);
        if (!row.paused && due >= row.since) await this.fireAt(workflowId, due, row);
      } catch (err) {
        this.host.onError(err);
      }
    }
    this.arm(workflowId);
  }

  private async fireAt(workflowId: string, fireAt: number, row: ScheduleRecord): Promise<void> {
    const c = this.crons.get(workflowId);
    if (c) c.handled = Math.max(c.handled, fireAt);
    if (row.lastFireAt !== null && fireAt <= row.lastFireAt) return;
    const created = await this.host.fire(workflowId, cronRunId(workflowId, fireAt), c?.spec.inputData);
    if (created) await this.host.store.markScheduleFired(workflowId, fireAt, this.host.now());
  }
}
