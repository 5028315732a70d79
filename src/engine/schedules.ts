import { InvalidArgumentError, WorkflowNotFoundError } from '../errors.js';
import type { AnyWorkflow } from '../define/workflow.js';
import type { ScheduleRecord, Store } from '../store/types.js';
import { parseSchedule, type ScheduleSpec } from '../worker/cron.js';
import { manualCronRunId } from '../domain/ids.js';

/** A cron schedule as the schedules API reports it. */
export interface ScheduleInfo {
  workflowId: string;
  cron: string;
  timezone: string | null;
  /** Paused schedules create no runs; the state is shared by every process on the store. */
  paused: boolean;
  /** The next fire time (null while paused, or when the expression never fires again). */
  nextFireAt: Date | null;
  /** The latest fire time that made a run. */
  lastFireAt: Date | null;
}

export interface SchedulesHost {
  store: Store;
  start(): Promise<void>;
  storeCall<T>(fn: () => Promise<T>): Promise<T>;
  scheduledWorkflows(): AnyWorkflow[];
  startRun(wf: AnyWorkflow, runId: string, inputData: unknown): Promise<boolean>;
  now(): number;
}

/** weft.listSchedules / pauseSchedule / resumeSchedule / triggerSchedule. */
export class SchedulesApi {
  constructor(private readonly host: SchedulesHost) {}

  private find(workflowId: string): { wf: AnyWorkflow; spec: ScheduleSpec } {
    const wf = this.host.scheduledWorkflows().find((w) => w.id === workflowId);
    if (!wf?.schedule) throw new WorkflowNotFoundError(`${workflowId} (no schedule registered for it in this process)`);
    return { wf, spec: wf.schedule };
  }

  private info(wf: AnyWorkflow, spec: ScheduleSpec, row: ScheduleRecord): ScheduleInfo {
    const next = row.paused ? null : (parseSchedule(wf.id, spec).nextRun(new Date(this.host.now()))?.getTime() ?? null);
    return {
      workflowId: wf.id,
      cron: spec.cron,
      timezone: spec.timezone ?? null,
      paused: row.paused,
      nextFireAt: next === null ? null : new Date(next),
      lastFireAt: row.lastFireAt === null ? null : new Date(row.lastFireAt),
    };
  }

  async list(): Promise<ScheduleInfo[]> {
    await this.host.start();
    const out: ScheduleInfo[] = [];
    for (const wf of this.host.scheduledWorkflows()) {
      const row = await this.host.storeCall(() => this.host.store.ensureSchedule(wf.id, this.host.now()));
      out.push(this.info(wf, wf.schedule!, row));
    }
    return out.sort((a, b) => (a.workflowId < b.workflowId ? -1 : 1));
  }

  async setPaused(workflowId: string, paused: boolean): Promise<ScheduleInfo> {
    if (typeof workflowId !== 'string') throw new InvalidArgumentError('workflowId must be a string');
    const { wf, spec } = this.find(workflowId);
    await this.host.start();
    await this.host.storeCall(() => this.host.store.ensureSchedule(wf.id, this.host.now()));
    const row = await this.host.storeCall(() => this.host.store.setSchedulePaused(wf.id, paused, this.host.now()));
    if (!row) throw new WorkflowNotFoundError(workflowId);
    return this.info(wf, spec, row);
  }

  /** Starts a run of the schedule now, with its inputData, whether or not it is paused. */
  async trigger(workflowId: string): Promise<{ runId: string }> {
    const { wf, spec } = this.find(workflowId);
    await this.host.start();
    const runId = manualCronRunId(wf.id, this.host.now());
    await this.host.startRun(wf, runId, spec.inputData);
    return { runId };
  }
}
