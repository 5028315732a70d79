import type { ResumeOptions, RunHandle, StartOptions, StreamHandle, TimeTravelOptions, WorkflowResult } from '../define/run-types.js';
import type { AnyWorkflow } from '../define/workflow.js';
import type { RunStatus } from '../domain/run-status.js';
import type { WorkflowEvent } from '../domain/workflow-events.js';
import { eventStream, type EventSource } from './events.js';

/** What a run handle needs from its engine: the lifecycle commands and a way to wait for a result. */
export interface RunHost {
  /** Starts the engine if needed (a handle may be used before `weft.start()`). */
  ready(): Promise<void>;
  create(wf: AnyWorkflow, runId: string, resourceId: string | undefined, opts: StartOptions | undefined): Promise<{ includeState: boolean }>;
  resume(wf: AnyWorkflow, runId: string, opts: ResumeOptions | undefined): Promise<void>;
  timeTravel(wf: AnyWorkflow, runId: string, resourceId: string | undefined, opts: TimeTravelOptions): Promise<{ includeState: boolean }>;
  restart(wf: AnyWorkflow, runId: string): Promise<void>;
  cancel(runId: string): Promise<void>;
  waitForResult(runId: string, includeState: boolean): Promise<WorkflowResult>;
  events: EventSource;
}

/** A handle on one run of a workflow. Creating it stores nothing; starting it does. */
export class Run implements RunHandle {
  private lastStatus: RunStatus = 'pending';

  constructor(
    private readonly host: RunHost,
    private readonly wf: AnyWorkflow,
    readonly runId: string,
    readonly resourceId: string | undefined,
  ) {}

  get workflowId(): string {
    return this.wf.id;
  }

  async start(opts?: StartOptions): Promise<WorkflowResult> {
    await this.host.ready();
    const { includeState } = await this.host.create(this.wf, this.runId, this.resourceId, opts);
    return this.settle(await this.host.waitForResult(this.runId, includeState));
  }

  async startAsync(opts?: StartOptions): Promise<{ runId: string }> {
    await this.host.ready();
    await this.host.create(this.wf, this.runId, this.resourceId, opts);
    return { runId: this.runId };
  }

  stream(opts?: StartOptions): StreamHandle {
    return this.streamOf(() => this.start(opts));
  }

  /**
   * Executes `opts.step` and everything after it again (Mastra's time travel): the steps before it keep
   * their recorded results, or take those `opts.context` gives. The journal it replaces stays readable
   * in the run's history (`weft.getRunHistory(runId)`). Resolves when the run settles again.
   */
  async timeTravel(opts: TimeTravelOptions): Promise<WorkflowResult> {
    await this.host.ready();
    const { includeState } = await this.host.timeTravel(this.wf, this.runId, this.resourceId, opts);
    return this.settle(await this.host.waitForResult(this.runId, includeState));
  }

  /** timeTravel, durable: resolves with the run id as soon as the rewound run is stored. */
  async timeTravelAsync(opts: TimeTravelOptions): Promise<{ runId: string }> {
    await this.host.ready();
    await this.host.timeTravel(this.wf, this.runId, this.resourceId, opts);
    return { runId: this.runId };
  }

  /** timeTravel, following the run's events. */
  timeTravelStream(opts: TimeTravelOptions): StreamHandle {
    return this.streamOf(() => this.timeTravel(opts));
  }

  /**
   * Carries an active run on now, here, from its last recorded step (Mastra's restart). The run's
   * current holder, if any, is fenced. Rejects for a run that does not exist or is not active.
   */
  async restart(): Promise<WorkflowResult> {
    await this.host.ready();
    await this.host.restart(this.wf, this.runId);
    return this.settle(await this.host.waitForResult(this.runId, false));
  }

  private streamOf(go: () => Promise<WorkflowResult>): StreamHandle {
    const { stream, close } = eventStream(this.host.events, this.runId);
    const result = go().finally(() => setImmediate(close));
    result.catch(() => {});
    const currentStatus = () => this.lastStatus;
    return {
      runId: this.runId,
      fullStream: stream as ReadableStream<WorkflowEvent> & AsyncIterable<WorkflowEvent>,
      result,
      get status() {
        return currentStatus();
      },
    };
  }

  async resume(opts?: ResumeOptions): Promise<WorkflowResult> {
    await this.host.ready();
    await this.host.resume(this.wf, this.runId, opts);
    return this.settle(await this.host.waitForResult(this.runId, false));
  }

  async resumeAsync(opts?: ResumeOptions): Promise<{ runId: string }> {
    await this.host.ready();
    await this.host.resume(this.wf, this.runId, opts);
    return { runId: this.runId };
  }

  /** Marks the run canceled; its in-flight steps see `abortSignal` fire and later steps never start. */
  async cancel(): Promise<void> {
    await this.host.ready();
    await this.host.cancel(this.runId);
  }

  private settle(result: WorkflowResult): WorkflowResult {
    this.lastStatus = result.status;
    return result;
  }
}
