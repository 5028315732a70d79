import type { LegacyStreamHandle, ResumeOptions, RunHandle, StartOptions, StreamHandle, StreamOptions, TimeTravelOptions, WorkflowResult } from '../define/run-types.js';
import type { LegacyStreamChunk, WorkflowStreamChunk } from '../define/stream-types.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { isTerminal, type RunStatus } from '../domain/run-status.js';
import type { WorkflowEvent } from '../domain/workflow-events.js';
import type { SendEventOutcome } from './event-commands.js';
import { followDurable, streamTail, type DurableSource } from './durable-stream.js';
import type { EventSource } from './events.js';
import { guardWatcher, runStream, streamSink, toChunk, toLegacyChunks, ZERO_USAGE, type CloseRule, type StreamSink } from './run-streams.js';

/** How often a stream waiting for a run to be stored looks for it (another process may start it). */
const NOT_STORED_POLL_MS = 250;

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
  /** Whether the run executes in this process now. */
  isExecuting(runId: string): boolean;
  /** Where the run's durable stream is read, for runs this process does not execute. */
  durable: DurableSource;
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
    let includeState = false;
    let runId = this.runId;
    return this.streamOf(
      closeOnSuspend === false ? 'terminal' : 'settled',
      true,
      async () => void ({ includeState, runId } = await this.host.create(this.wf, this.runId, this.resourceId, start)),
      async () => this.settle(await this.host.waitForResult(runId, includeState)),
    );
  }

  /** Resumes the run and streams the resumed execution's events. */
  resumeStream(opts?: ResumeOptions): StreamHandle {
    return this.streamOf(
      'settled',
      false,
      () => this.host.resume(this.wf, this.runId, opts),
      async () => this.settle(await this.host.waitForResult(this.runId, false)),
    );
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

  /**
   * The run's stream until its next outcome, as Mastra 1.71's chunks. A run executing in this process
   * (or not stored yet) is followed live from now; a stored run executing elsewhere or not at all is
   * read from its durable stream: replayed from its start, then followed (docs/api.md, "Run handle
   * streams").
   */
  observeStream(): ReadableStream<WorkflowStreamChunk> & AsyncIterable<WorkflowStreamChunk> {
    return this.observe((e) => [toChunk(e)], 'settled').stream;
  }

  /** observeStream() until the run ends (through suspensions), as Mastra's legacy chunks. */
  observeStreamLegacy(): { stream: ReadableStream<LegacyStreamChunk> & AsyncIterable<LegacyStreamChunk> } {
    return { stream: this.observe(toLegacyChunks, 'terminal').stream };
  }

  private observe<T>(map: (e: WorkflowEvent) => T[], rule: CloseRule): StreamSink<T> {
    const sink = streamSink(map, rule, (e) => this.follow(e));
    if (this.host.isExecuting(this.runId)) return this.feedLive(sink, []);
    const held: WorkflowEvent[] = [];
    const off = this.host.events.subscribe(this.runId, (e) => held.push(e));
    void (async () => {
      await this.host.ready();
      const stored = await this.host.durable.store.loadRun(this.runId);
      off();
      if (this.host.isExecuting(this.runId)) return void this.feedLive(sink, held);
      // Not stored yet: it is about to be started, here or by another process. Follow it live, and
      // until a live event shows it executes here, look for it in the store: once stored elsewhere, its
      // durable stream (from the start) is the one that has its events.
      if (!stored) {
        let sawLive = held.length > 0;
        const stopLive = this.subscribeLive(sink, held, () => (sawLive = true));
        return void this.awaitStored(sink, rule, () => sawLive, stopLive);
      }
      this.feedDurable(sink, rule, null);
    })().catch((err: unknown) => {
      off();
      sink.fail(err);
    });
    return sink;
  }

  /** Feeds live events of this process into the sink: those held so far first. */
  private feedLive<T>(sink: StreamSink<T>, held: WorkflowEvent[]): StreamSink<T> {
    this.subscribeLive(sink, held);
    return sink;
  }

  /** feedLive, calling `onLive` at each live event; returns what unsubscribes the sink. */
  private subscribeLive<T>(sink: StreamSink<T>, held: WorkflowEvent[], onLive?: () => void): () => void {
    const queue = [...held];
    const off = this.host.events.subscribe(this.runId, (e) => {
      onLive?.();
      void sink.push(e);
    });
    sink.signal.addEventListener('abort', off, { once: true });
    for (const e of queue) if (sink.push(e)) break;
    return off;
  }

  /**
   * A sink following a run not stored yet: looks for the run in the store every NOT_STORED_POLL_MS
   * until it is stored (then, unless `live()` says its events arrive here, it stops the live feed and
   * reads the durable stream from its start), or until the sink ends. A run started by another process
   * would otherwise never reach this stream.
   */
  private awaitStored<T>(sink: StreamSink<T>, rule: CloseRule, live: () => boolean, stopLive: () => void): void {
    const later = () => setTimeout(() => void check().catch((err: unknown) => sink.fail(err)), NOT_STORED_POLL_MS).unref();
    const check = async (): Promise<void> => {
      if (sink.signal.aborted || live()) return;
      const stored = await this.host.durable.store.loadRun(this.runId);
      if (sink.signal.aborted || live()) return;
      if (!stored) return void later();
      // Executing here: the live feed has it. Elsewhere: its durable stream does.
      if (this.host.isExecuting(this.runId)) return;
      stopLive();
      this.feedDurable(sink, rule, null);
    };
    later();
  }

  /** Feeds the run's durable stream after `after` into the sink, ending it when the follow ends. */
  private feedDurable<T>(sink: StreamSink<T>, rule: CloseRule, after: string | null): void {
    followDurable(this.host.durable, this.runId, { after, deliver: (e) => sink.push(e), untilTerminal: rule === 'terminal', signal: sink.signal }).then(
      () => sink.close(),
      (err: unknown) => sink.fail(err),
    );
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
    let includeState = false;
    return this.streamOf(
      'settled',
      false,
      async () => void ({ includeState } = await this.host.timeTravel(this.wf, this.runId, this.resourceId, opts)),
      async () => this.settle(await this.host.waitForResult(this.runId, includeState)),
    );
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

  /**
   * A stream of the execution that `launch` stores (a start, resume or time travel). Live events are
   * subscribed before it and held; once it is stored, a run that executes here (or already emitted
   * here) streams them live, as Mastra does. A run another process executes is read from its durable
   * stream instead: from its start for a new run (`replay`), else after what was stored before
   * `launch`.
   */
  private streamOf(rule: CloseRule, replay: boolean, launch: () => Promise<void>, settle: () => Promise<WorkflowResult>): StreamHandle {
    const sink = streamSink<WorkflowStreamChunk>((e) => [toChunk(e)], rule, (e) => this.follow(e));
    let held: WorkflowEvent[] | null = [];
    const off = this.host.events.subscribe(this.runId, (e) => {
      if (held) held.push(e);
      else void sink.push(e);
    });
    sink.signal.addEventListener('abort', off, { once: true });
    let live = true;
    const result = (async () => {
      await this.host.ready();
      const after = replay ? null : await streamTail(this.host.durable.store, this.runId);
      await launch();
      const got = held!;
      held = null;
      if (this.host.isExecuting(this.runId) || got.length > 0) {
        for (const e of got) if (sink.push(e)) break;
      } else {
        live = false;
        off();
        this.feedDurable(sink, rule, after);
      }
      return settle();
    })();
    result.then(
      (r) => {
        // Live: the fallback when the outcome's events did not reach this process (the lease moved).
        if (live && (rule === 'settled' || isTerminal(r.status))) setImmediate(sink.close);
      },
      () => setImmediate(sink.close),
    );
    result.catch(() => {});
    const currentStatus = () => this.lastStatus;
    return {
      runId: this.runId,
      workflowId: this.wf.id,
      fullStream: sink.stream,
      result,
      get status() {
        return currentStatus();
      },
      usage: Promise.resolve({ ...ZERO_USAGE }),
      async consumeStream() {
        const reader = sink.stream.getReader();
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
