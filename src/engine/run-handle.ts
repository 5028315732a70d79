import type { LegacyStreamHandle, ResumeOptions, RunHandle, StartOptions, StreamHandle, StreamOptions, TimeTravelOptions, WorkflowResult } from '../define/run-types.js';
import type { LegacyStreamChunk, WorkflowStreamChunk } from '../define/stream-types.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { isTerminal, type RunStatus } from '../domain/run-status.js';
import type { WorkflowEvent } from '../domain/workflow-events.js';
import type { SendEventOutcome } from './event-commands.js';
import type { EventSource } from './events.js';
import { guardWatcher, runStream, toChunk, toLegacyChunks, ZERO_USAGE, type CloseRule, type RunStream } from './run-streams.js';

/** What a run handle needs from its engine: the lifecycle commands and a way to wait for a result. */
export interface RunHost {
  /** Starts the engine if needed (a handle may be used before `weft.start()`). */
  ready(): Promise<void>;
  /** `runId`: the run that carries the start (another run's id when flow control merged or deduplicated it). */
  create(wf: AnyWorkflow, runId: string, resourceId: string | undefined, opts: StartOptions | undefined): Promise<{ includeState: boolean; runId: string }>;
  resume(wf: AnyWorkflow, runId: string, opts: ResumeOptions | undefined): Promise<void>;
  timeTravel(wf: AnyWorkflow, runId: string, resourceId: string | undefined, opts: TimeTravelOptions): Promise<{ includeState: boolean }>;
  restart(wf: AnyWorkflow, runId: string): Promise<void>;
  cancel(runId: string): Promise<void>;
  waitForResult(runId: string, includeState: boolean): Promise<WorkflowResult>;
  sendEvent(wf: AnyWorkflow, runId: string, name: unknown, data: unknown): Promise<SendEventOutcome>;
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
    const { includeState, runId } = await this.host.create(this.wf, this.runId, this.resourceId, opts);
    return this.settle(await this.host.waitForResult(runId, includeState));
  }

  async startAsync(opts?: StartOptions): Promise<{ runId: string }> {
    await this.host.ready();
    return { runId: (await this.host.create(this.wf, this.runId, this.resourceId, opts)).runId };
  }

  /** Starts the run and streams its events as Mastra 1.71's chunks (run-streams.ts). */
  stream(opts?: StreamOptions): StreamHandle {
    const { closeOnSuspend, ...start } = opts ?? {};
    return this.streamOf(closeOnSuspend === false ? 'terminal' : 'settled', () => this.start(start));
  }

  /** Resumes the run and streams the resumed execution's events. */
  resumeStream(opts?: ResumeOptions): StreamHandle {
    return this.streamOf('settled', () => this.resume(opts));
  }

  /**
   * Starts the run and streams Mastra's legacy chunks. The stream stays open while the run is suspended
   * (a resume's events flow into it) and ends when the run ends; getWorkflowState then gives the result.
   */
  streamLegacy(opts?: StartOptions & { onChunk?: (chunk: LegacyStreamChunk) => unknown }): LegacyStreamHandle {
    const { onChunk, ...start } = opts ?? {};
    const map = (e: WorkflowEvent): LegacyStreamChunk[] => {
      const chunks = toLegacyChunks(e);
      if (onChunk) for (const c of chunks) void Promise.resolve().then(() => onChunk(c)).catch(() => {});
      return chunks;
    };
    const s = runStream(this.host.events, this.runId, map, 'terminal', (e) => this.follow(e));
    const started = this.start(start);
    started.then(
      (r) => {
        // Ended without its events reaching this process (it ran elsewhere, or ended before it started here).
        if (isTerminal(r.status)) setImmediate(s.close);
      },
      () => setImmediate(s.close),
    );
    const getWorkflowState = async (): Promise<WorkflowResult> => {
      const first = await started;
      await s.closed;
      return isTerminal(first.status) ? first : this.settle(await this.host.waitForResult(this.runId, false));
    };
    return { stream: s.stream, getWorkflowState };
  }

  /** The run's events in this process from now until its next outcome, as Mastra 1.71's chunks. */
  observeStream(): ReadableStream<WorkflowStreamChunk> & AsyncIterable<WorkflowStreamChunk> {
    return runStream(this.host.events, this.runId, (e) => [toChunk(e)], 'settled', (e) => this.follow(e)).stream;
  }

  /** The run's events in this process from now until it ends, as Mastra's legacy chunks. */
  observeStreamLegacy(): { stream: ReadableStream<LegacyStreamChunk> & AsyncIterable<LegacyStreamChunk> } {
    return { stream: runStream(this.host.events, this.runId, toLegacyChunks, 'terminal', (e) => this.follow(e)).stream };
  }

  /** Calls `cb` with each of the run's chunks in this process; its errors never reach the run. */
  watch(cb: (chunk: WorkflowStreamChunk) => void | Promise<void>): () => void {
    return this.host.events.subscribe(this.runId, guardWatcher(cb));
  }

  async watchAsync(cb: (chunk: WorkflowStreamChunk) => void | Promise<void>): Promise<() => void> {
    await this.host.ready();
    return this.watch(cb);
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
    return this.streamOf('settled', () => this.timeTravel(opts));
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

  private streamOf(rule: CloseRule, begin: () => Promise<WorkflowResult>): StreamHandle {
    const s: RunStream<WorkflowStreamChunk> = runStream(this.host.events, this.runId, (e) => [toChunk(e)], rule, (e) => this.follow(e));
    const result = begin();
    result.then(
      (r) => {
        // The fallback when the outcome's events did not reach this process (the run ran elsewhere).
        if (rule === 'settled' || isTerminal(r.status)) setImmediate(s.close);
      },
      () => setImmediate(s.close),
    );
    result.catch(() => {});
    const currentStatus = () => this.lastStatus;
    return {
      runId: this.runId,
      workflowId: this.wf.id,
      fullStream: s.stream,
      result,
      get status() {
        return currentStatus();
      },
      usage: Promise.resolve({ ...ZERO_USAGE }),
      async consumeStream() {
        const reader = s.stream.getReader();
        while (!(await reader.read()).done);
      },
    };
  }

  /** A handle's status follows the events it streams. */
  private follow(e: WorkflowEvent): void {
    if (e.type === 'workflow-start') this.lastStatus = 'running';
    else if (e.type === 'workflow-finish') this.lastStatus = e.payload.workflowStatus as RunStatus;
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

  /**
   * Sends an event to this run only (Mastra 0.x's `run.sendEvent`): a `.waitForEvent` of this run for
   * `event` takes it, now or (within the events window) when the run gets there.
   */
  async sendEvent(event: string, data?: unknown): Promise<SendEventOutcome> {
    await this.host.ready();
    return this.host.sendEvent(this.wf, this.runId, event, data);
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
