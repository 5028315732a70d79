import { InvalidArgumentError, InvalidStepSourceError, WorkflowDefinitionError } from '../errors.js';
import { isAgentLike, type AgentLike, type AgentStepOptions } from './agent-step.js';
import { isClassifierLike, type ClassifierLike, type ClassifierStepOptions, type ClassifierStepOutput } from './classifier-step.js';
import {
  serializeGraph,
  stepsOf,
  type ConditionFn,
  type GraphNode,
  type LoopConditionFn,
  type MapFn,
  type SerializedNode,
  type SleepMsFn,
  type SleepUntilFn,
  type UnitNode,
} from './graph.js';
import { TOKEN_EVENT, waitSpec, type EventTrigger, type WaitForEventOptions } from './events.js';
import type { LifecycleOptions } from './lifecycle.js';
import { awaitsSteps, checkLogger, checkPrimitives, linkMastra } from './mastra-link.js';
import type { ResolvedOperations } from './operations.js';
import type { FlowControl } from './flow-control.js';
import { runtimeOf, type WorkflowRunListing, type WorkflowRuntime } from './runtime.js';
import { checkRunId } from '../domain/ids.js';
import type {
  CreateRunOptions,
  ListRunsOptions,
  ResultQueryOptions,
  RunHandle,
  RunSummary,
  RunView,
  StartManyItem,
  StartManyOptions,
  StartManyResult,
  WorkflowResult,
} from './run-types.js';
import { compileMapConfig, type MapConfig, type MapOptions, type MapOutput } from './map-forms.js';
import type { AnySchema, InferOut, StandardSchemaV1 } from './schema.js';
import { checkId, isStep, stepFromAgent, stepFromClassifier, stepFromTool } from './step.js';
import { isToolLike, type ToolLike, type ToolStepOptions } from './tool-step.js';
import type { RetryConfig, Step, StepContext } from './types.js';
import { resolveWorkflowConfig, type WorkflowConfig } from './workflow-config.js';

export type { WorkflowConfig };

/** Anything that can stand where a step goes. */
export type StepLike = Step<string, any, any> | AnyWorkflow;
export type AnyWorkflow = Workflow<string, any, any, any, any>;

type InOf<S> = S extends Step<string, infer I, any> ? I : S extends Workflow<string, infer I, any, any, any> ? I : never;
type OutOf<S> = S extends Step<string, any, infer O> ? O : S extends Workflow<string, any, infer O, any, any> ? O : never;
/** What cloning W under the id TNewId gives: the same types under the new id. */
export type ClonedWorkflow<W, TNewId extends string> = Workflow<TNewId, InOf<W>, OutOf<W>, StateOf<W>, PrevOf<W>>;
type StateOf<W> = W extends Workflow<string, any, any, infer S, any> ? S : never;
type PrevOf<W> = W extends Workflow<string, any, any, any, infer P> ? P : never;
type IdOf<S> = S extends { id: infer I extends string } ? I : string;

/** Rejects, at compile time, a step whose input schema does not accept the previous output. */
type Accepts<TPrev, S> = [TPrev] extends [InOf<S>]
  ? S
  : S & { readonly __inputMismatch: 'the step input schema does not accept the previous step output' };

type OutputsById<Steps extends readonly StepLike[]> = { [S in Steps[number] as IdOf<S>]: OutOf<S> };
type BranchOutputs<Steps extends readonly StepLike[]> = { [S in Steps[number] as IdOf<S>]?: OutOf<S> };
/** An agent step takes `{ prompt: string }`: the previous output must be one. */
type RequirePrompt<TPrev> = [TPrev] extends [{ prompt: string }]
  ? unknown
  : { readonly __inputMismatch: 'an agent step needs { prompt: string } as the previous step output' };
/** A tool step takes its input schema's type: the previous output must be one. */
type RequireToolInput<TPrev, TIn> = [TPrev] extends [TIn] ? unknown : { readonly __inputMismatch: 'the tool input schema does not accept the previous step output' };
/** Where the builders take an id for the step (an agent, tool or classifier may be used more than once). */
export interface SourceStepOptions {
  id?: string;
}
type ElementOf<T> = T extends readonly (infer E)[] ? E : never;
/** foreach needs an array: without this, a non-array's element type is `never`, which accepts any step. */
type AcceptsEach<TPrev, S> = [TPrev] extends [readonly unknown[]]
  ? Accepts<ElementOf<TPrev>, S>
  : S & { readonly __inputMismatch: 'foreach needs an array as the previous step output' };

/**
 * A workflow under construction, then (after `.commit()`) an immutable graph that can run and be
 * nested like a step. Builders mutate and return `this`, typed with the new previous-output type.
 */
export class Workflow<TId extends string = string, TInput = any, TOutput = any, TState = any, TPrev = TInput> {
  readonly component = 'WORKFLOW' as const;
  readonly id: TId;
  /** The declared version (a number is kept as its decimal text), or undefined. */
  readonly version?: string;
  readonly description?: string;
  readonly inputSchema: AnySchema;
  readonly outputSchema: AnySchema;
  readonly stateSchema?: AnySchema;
  readonly retryConfig: Required<Pick<RetryConfig, 'attempts' | 'delay'>> & RetryConfig;
  readonly options: { validateInputs: boolean; validateOutputs: boolean };
  /** onStart / onFinish / onError / shouldPersistSnapshot, checked at definition time. */
  readonly lifecycle: Readonly<LifecycleOptions>;
  readonly concurrency?: { limit: number; key?: (input: any) => string };
  readonly priority: number;
  /** rateLimit, throttle, debounce, singleton, batch, idempotency (define/flow-control.ts), checked. */
  readonly flow: FlowControl;
  readonly schedule?: { cron: string; timezone?: string; inputData?: unknown };
  readonly metadata?: Record<string, unknown>;
  readonly triggers: readonly EventTrigger[];
  /** searchable / retention / onFailure, checked at definition time (define/operations.ts). */
  readonly operations: ResolvedOperations;
  declare readonly __in?: TInput;
  declare readonly __out?: TOutput;
  declare readonly __state?: TState;
  declare readonly __prev?: TPrev;

  private readonly nodes: GraphNode[] = [];
  private sealed = false;
  private usedSegments = new Set<string>();
  /** The config this workflow was made with (cloneWorkflow copies it). */
  private readonly config: WorkflowConfig<TId, AnySchema, AnySchema, AnySchema | undefined>;

  constructor(config: WorkflowConfig<TId, AnySchema, AnySchema, AnySchema | undefined>) {
    const resolved = resolveWorkflowConfig(config);
    if (resolved.version !== undefined) this.version = resolved.version;
    this.config = config as WorkflowConfig<TId, AnySchema, AnySchema, AnySchema | undefined>;
    this.id = config.id as TId;
    this.description = config.description;
    this.inputSchema = config.inputSchema;
    this.outputSchema = config.outputSchema;
    this.stateSchema = config.stateSchema;
    this.retryConfig = resolved.retryConfig;
    this.options = resolved.options;
    this.lifecycle = resolved.lifecycle;
    this.concurrency = config.concurrency;
    this.priority = config.priority ?? 0;
    this.flow = resolved.flow;
    this.schedule = config.schedule;
    this.metadata = config.metadata;
    this.triggers = resolved.triggers;
    this.operations = resolved.operations;
  }

  // ---- builders -------------------------------------------------------------------------------

  /**
   * Adds a step after the previous entry. Also guards against `await workflow`: the promise
   * machinery calls `then(resolve, reject)` with functions, which must not hang silently.
   */
  then<S extends StepLike>(step: Accepts<TPrev, S>): Workflow<TId, TInput, TOutput, TState, OutOf<S>> {
    if (typeof step === 'function') {
      throw new TypeError('a workflow is not a promise; did you `await` a workflow? Use `workflow.createRun()` instead');
    }
    this.push({ ...this.unit(step as StepLike, 'then'), segment: this.segmentFor(unitIdOf(step as StepLike)) });
    return this as any;
  }

  parallel<const Steps extends readonly StepLike[]>(steps: Steps): Workflow<TId, TInput, TOutput, TState, OutputsById<Steps>> {
    const children = this.units(steps, 'parallel');
    this.push({ type: 'parallel', segment: this.segmentFor(`parallel#${this.nodes.length}`), children });
    return this as any;
  }

  branch<const Branches extends readonly (readonly [ConditionFn, StepLike])[]>(
    branches: Branches,
  ): Workflow<TId, TInput, TOutput, TState, BranchOutputs<{ [K in keyof Branches]: Branches[K][1] }[number][]>> {
    if (!Array.isArray(branches) || branches.length === 0) throw this.defError('branch needs a non-empty array of [condition, step]');
    for (const b of branches) {
      if (!Array.isArray(b) || typeof b[0] !== 'function') throw this.defError('each branch must be [condition function, step]');
    }
    const children = this.units(
      branches.map((b) => b[1]),
      'branch',
    );
    const conditions = branches.map((b) => b[0]);
    this.push({ type: 'branch', segment: this.segmentFor(`branch#${this.nodes.length}`), conditions, children });
    return this as any;
  }

  dowhile<S extends StepLike>(step: Accepts<TPrev, S>, cond: LoopConditionFn): Workflow<TId, TInput, TOutput, TState, OutOf<S>> {
    return this.loop(step as StepLike, cond, 'dowhile');
  }

  dountil<S extends StepLike>(step: Accepts<TPrev, S>, cond: LoopConditionFn): Workflow<TId, TInput, TOutput, TState, OutOf<S>> {
    return this.loop(step as StepLike, cond, 'dountil');
  }

  foreach<S extends StepLike>(
    step: AcceptsEach<TPrev, S>,
    opts?: { concurrency?: number },
  ): Workflow<TId, TInput, TOutput, TState, OutOf<S>[]> {
    const concurrency = opts?.concurrency ?? 1;
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw this.defError('foreach concurrency must be a positive integer');
    const child = this.unit(step as StepLike, 'foreach');
    this.push({ type: 'foreach', segment: this.segmentFor(`foreach#${this.nodes.length}`), concurrency, child });
    return this as any;
  }

  /**
   * Adds an agent as a step (Mastra's `.agent()`): `{ prompt }` in, `{ text }` (or the structured
   * output) out; the same as `.then(createStep(agent, options))`, with `{ id }` for the step id.
   */
  agent<TOut>(
    agent: AgentLike & RequirePrompt<TPrev>,
    options: AgentStepOptions<TOut> & { structuredOutput: { schema: StandardSchemaV1<any, TOut> } },
    stepOptions?: SourceStepOptions,
  ): Workflow<TId, TInput, TOutput, TState, TOut>;
  agent(agent: AgentLike & RequirePrompt<TPrev>, options?: AgentStepOptions, stepOptions?: SourceStepOptions): Workflow<TId, TInput, TOutput, TState, { text: string }>;
  agent(agent: unknown, options?: AgentStepOptions, stepOptions?: SourceStepOptions): any {
    this.noRegistry('agent', agent);
    if (!isAgentLike(agent)) throw new InvalidStepSourceError(this.defError('agent() needs an agent (an object with an id and stream() or generate())').message);
    return this.then(stepFromAgent(agent, options, this.sourceId(stepOptions)) as any);
  }

  /** Adds a tool as a step (Mastra's `.tool()`): the same as `.then(createStep(tool, options))`, with `{ id }` for the step id. */
  tool<TIn, TOut>(
    tool: ToolLike<string, TIn, TOut> & RequireToolInput<TPrev, TIn>,
    options?: ToolStepOptions,
    stepOptions?: SourceStepOptions,
  ): Workflow<TId, TInput, TOutput, TState, TOut>;
  tool(tool: unknown, options?: ToolStepOptions, stepOptions?: SourceStepOptions): any {
    this.noRegistry('tool', tool);
    if (!isToolLike(tool)) throw new InvalidStepSourceError(this.defError("tool() needs a tool made by Mastra's createTool (or marked like one)").message);
    return this.then(stepFromTool(tool, options, this.sourceId(stepOptions)) as any);
  }

  /** Adds a classifier as a step (Mastra 1.71's `.classifier()`): any input in, `{ answers, usage }` out. */
  classifier<Q extends Readonly<Record<string, { readonly type: string }>>>(
    classifier: ClassifierLike<Q>,
    options?: ClassifierStepOptions,
    stepOptions?: SourceStepOptions,
  ): Workflow<TId, TInput, TOutput, TState, ClassifierStepOutput<Q>>;
  classifier(classifier: unknown, options?: ClassifierStepOptions, stepOptions?: SourceStepOptions): any {
    this.noRegistry('classifier', classifier);
    if (!isClassifierLike(classifier)) throw new InvalidStepSourceError(this.defError('classifier() needs a classifier (an object with an id, questions and evaluate())').message);
    return this.then(stepFromClassifier(classifier, options, this.sourceId(stepOptions)) as any);
  }

  /**
   * Reshapes the previous output: with a function of the step context, or with Mastra's mapping
   * object (`{ key: { step, path } | { initData, path } | { value, schema } | { requestContextPath,
   * schema } | { fn, schema } | { template } }`, see map-forms.ts). Either way the node runs one
   * function whose result is recorded in the journal.
   */
  map<TNext>(
    fn: (ctx: StepContext<TPrev, TState>) => TNext | Promise<TNext>,
    opts?: MapOptions,
  ): Workflow<TId, TInput, TOutput, TState, Awaited<TNext>>;
  map<M extends MapConfig<TPrev, TState>>(config: M, opts?: MapOptions): Workflow<TId, TInput, TOutput, TState, MapOutput<M>>;
  map(config: unknown, opts?: MapOptions): unknown {
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw this.defError('map options must be an object');
    const id = opts?.id ?? undefined;
    if (id !== undefined) checkId('map', id);
    const fn = typeof config === 'function' ? (config as MapFn) : compileMapConfig(config, `workflow "${this.id}"`);
    const segment = this.segmentFor(id ?? `mapping_${this.nodes.length}`);
    const node: Extract<GraphNode, { type: 'map' }> = { type: 'map', segment, fn };
    if (opts?.description !== undefined) node.description = opts.description;
    if (opts?.metadata !== undefined) node.metadata = opts.metadata;
    this.push(node);
    return this;
  }

  sleep(duration: number | SleepMsFn): Workflow<TId, TInput, TOutput, TState, TPrev> {
    if (typeof duration === 'number' ? !(Number.isFinite(duration) && duration >= 0) : typeof duration !== 'function') {
      throw this.defError('sleep needs a non-negative number of ms or a function returning one');
    }
    this.push({ type: 'sleep', segment: this.segmentFor(`sleep_${this.nodes.length}`), duration });
    return this;
  }

  sleepUntil(date: Date | SleepUntilFn): Workflow<TId, TInput, TOutput, TState, TPrev> {
    const ok = date instanceof Date ? !Number.isNaN(date.getTime()) : typeof date === 'function';
    if (!ok) throw this.defError('sleepUntil needs a valid Date or a function returning one');
    this.push({ type: 'sleepUntil', segment: this.segmentFor(`sleepUntil_${this.nodes.length}`), date });
    return this;
  }

  /**
   * Waits durably for an event (or the first of several), then runs `step` with the event's data as
   * `resumeData` (and `event`: which one, its key and id). The run is `waiting` meanwhile and holds no
   * memory anywhere. `match.key` correlates by a key computed from the run; `timeout` ends the wait.
   */
  waitForEvent<S extends StepLike>(event: string | readonly string[], step: Accepts<TPrev, S>, opts?: WaitForEventOptions, internal = false): Workflow<TId, TInput, TOutput, TState, OutOf<S>> {
    const wait = waitSpec(`workflow "${this.id}"`, event, opts, internal);
    const child = { ...this.unit(step as StepLike, 'waitForEvent'), segment: this.segmentFor(unitIdOf(step as StepLike)) };
    this.push({ type: 'waitForEvent', segment: this.segmentFor(`waitForEvent_${child.segment}`), wait, child });
    return this as any;
  }

  /**
   * Waits durably until a completion token of this run (made by an earlier step with
   * `ctx.createToken()`) is completed through its URL; `step` gets the JSON body as resumeData.
   */
  waitForToken<S extends StepLike>(step: Accepts<TPrev, S>, opts?: Omit<WaitForEventOptions, 'match'>): Workflow<TId, TInput, TOutput, TState, OutOf<S>> {
    return this.waitForEvent(TOKEN_EVENT, step, opts, true);
  }

  /** Freezes the graph. A workflow must be committed before it runs or is nested. */
  commit(): Workflow<TId, TInput, TOutput, TState, TPrev> {
    if (this.nodes.length === 0) {
      if (awaitsSteps(this)) return this; // registered with Mastra before it had steps (mastra-link.ts)
      throw this.defError(NO_FLOW);
    }
    this.sealed = true;
    return this;
  }

  /** The steps placed in this workflow by id (Mastra's `workflow.steps`); nested workflows as one entry. */
  get steps(): Record<string, StepLike> {
    return stepsOf(this.nodes) as Record<string, StepLike>;
  }

  /**
   * Mastra's registration hooks (`new Mastra({ workflows })` calls them): the runs of this workflow give
   * the instance to their steps and callbacks as `mastra`; Mastra's logger and storage are accepted and
   * not used (weft's store is the journal). See mastra-link.ts.
   */
  __registerMastra(mastra: unknown): void {
    linkMastra(this, mastra, this.nodes.length === 0 && !this.sealed);
  }

  __registerPrimitives(primitives: unknown): void {
    checkPrimitives(primitives);
  }

  __setLogger(logger: unknown): void {
    checkLogger(logger);
  }

  /** Whether `.commit()` was called (Mastra's `committed`). */
  get committed(): boolean {
    return this.sealed;
  }

  get isCommitted(): boolean {
    return this.sealed;
  }

  graph(): readonly GraphNode[] {
    return this.nodes;
  }

  get serializedStepGraph(): SerializedNode[] {
    return serializeGraph(this.nodes);
  }

  /**
   * A committed copy of `source` under another id: the same config (except `schedule`: a clone fires no
   * cron of its own) and the same graph. Used by `cloneWorkflow`.
   * @internal
   */
  static cloneOf<W extends AnyWorkflow, TNewId extends string>(source: W, id: TNewId): ClonedWorkflow<W, TNewId> {
    if (!(source instanceof Workflow)) throw new WorkflowDefinitionError('cloneWorkflow needs a workflow made by createWorkflow');
    const copy = new Workflow({ ...source.config, id, schedule: undefined });
    for (const node of source.nodes) copy.nodes.push(node);
    copy.usedSegments = new Set(source.usedSegments);
    return copy.commit() as any;
  }

  // ---- runs (delegated to the bound engine) ----------------------------------------------------

  async createRun(opts: CreateRunOptions = {}): Promise<RunHandle<TInput, TOutput, TState>> {
    this.assertRunnable();
    if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('createRun options must be an object');
    return this.rt().createRun(this, opts) as Promise<RunHandle<TInput, TOutput, TState>>;
  }

  /**
   * Starts many runs at once, as `createRun` + `startAsync` for each item, with up to `concurrency` starts
   * in flight so the store commits them in large batches. Resolves with one result per item, in order,
   * once every item is started or refused: a bad item gets its own error, the others start.
   */
  async startMany(items: StartManyItem<TInput, TState>[], opts: StartManyOptions = {}): Promise<StartManyResult[]> {
    this.assertRunnable();
    if (!Array.isArray(items)) throw new InvalidArgumentError('startMany items must be an array');
    if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('startMany options must be an object');
    return this.rt().startMany(this, items, opts);
  }

  async getWorkflowRunExecutionResult(runId: string, opts: ResultQueryOptions = {}): Promise<WorkflowResult<TInput, TOutput> | null> {
    checkRunId(runId);
    return this.rt().getWorkflowRunExecutionResult(this, runId, opts) as Promise<WorkflowResult<TInput, TOutput> | null>;
  }

  async getWorkflowRunById(runId: string, opts: ResultQueryOptions = {}): Promise<RunView | null> {
    checkRunId(runId);
    return this.rt().getWorkflowRunById(this, runId, opts);
  }

  async listWorkflowRuns(opts: ListRunsOptions = {}): Promise<{ runs: WorkflowRunListing[]; total: number }> {
    if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('listWorkflowRuns options must be an object');
    return this.rt().listWorkflowRuns(this, opts);
  }

  async deleteWorkflowRunById(runId: string): Promise<boolean> {
    checkRunId(runId);
    return this.rt().deleteWorkflowRunById(this, runId);
  }

  /** Runs that are pending, running or waiting on a timer (newest first, up to 1,000). */
  async listActiveWorkflowRuns(): Promise<{ runs: RunSummary[]; total: number }> {
    return this.rt().listActiveWorkflowRuns(this);
  }

  /**
   * Restarts the active runs nobody carries (pending, due timers, leases run out); runs live workers
   * hold are left alone. weft recovers runs by itself: this only makes it happen now.
   */
  async restartAllActiveWorkflowRuns(): Promise<void> {
    return this.rt().restartAllActiveWorkflowRuns(this);
  }

  // ---- internals ----------------------------------------------------------------------------------

  private rt(): WorkflowRuntime {
    return runtimeOf(this);
  }

  private assertRunnable(): void {
    if (this.nodes.length === 0) throw this.defError(NO_FLOW);
    if (!this.sealed) throw this.defError('Uncommitted step flow changes detected. Call .commit() to register the steps.');
  }

  private defError(message: string): WorkflowDefinitionError {
    return new WorkflowDefinitionError(`workflow "${this.id}": ${message}`);
  }

  private push(node: GraphNode): void {
    if (this.sealed) throw this.defError('is committed; its graph cannot change');
    this.nodes.push(node);
  }

  private segmentFor(base: string): string {
    let seg = base;
    for (let i = 1; this.usedSegments.has(seg); i++) seg = `${base}#${i}`;
    this.usedSegments.add(seg);
    return seg;
  }

  private unit(step: StepLike, where: string): UnitNode {
    if (step instanceof Workflow) {
      if (step === (this as unknown)) throw this.defError(`cannot nest a workflow inside itself (${where})`);
      if (!step.isCommitted) throw this.defError(`nested workflow "${step.id}" must be committed before it is used (${where})`);
      return { type: 'workflow', segment: step.id, workflow: step };
    }
    if (!isStep(step)) {
      const wrap = isAgentLike(step) || isToolLike(step) ? ' (wrap an agent or a tool with createStep(...) first, or use .agent() / .tool())' : '';
      throw this.defError(`${where}() needs a step made by createStep or a committed workflow${wrap}`);
    }
    return { type: 'step', segment: step.id, step: step as Step };
  }

  /**
   * Mastra also takes an agent/tool/classifier id, looked up in the Mastra instance's registry when the
   * step runs. weft has no such registry: the object itself must be passed.
   */
  private noRegistry(kind: string, source: unknown): void {
    if (typeof source !== 'string') return;
    throw new InvalidStepSourceError(
      this.defError(`${kind}("${source}"): weft has no ${kind} registry to look ids up in; pass the ${kind} object itself`).message,
    );
  }

  private sourceId(stepOptions: SourceStepOptions | undefined): string | undefined {
    if (stepOptions === undefined) return undefined;
    if (stepOptions === null || typeof stepOptions !== 'object') throw this.defError('step options must be an object ({ id })');
    return stepOptions.id;
  }

  private units(steps: readonly StepLike[], where: string): UnitNode[] {
    if (!Array.isArray(steps) || steps.length === 0) throw this.defError(`${where} needs a non-empty array of steps`);
    const units = steps.map((s) => this.unit(s, where));
    const seen = new Set<string>();
    for (const u of units) {
      if (seen.has(u.segment)) throw this.defError(`${where} has two steps with id "${u.segment}"; ids must differ`);
      seen.add(u.segment);
    }
    return units;
  }

  private loop(step: StepLike, cond: LoopConditionFn, mode: 'dowhile' | 'dountil'): any {
    if (typeof cond !== 'function') throw this.defError(`${mode} needs a condition function`);
    const child = this.unit(step, mode);
    this.push({ type: 'loop', segment: this.segmentFor(`loop#${this.nodes.length}`), mode, cond, child });
    return this;
  }
}

const NO_FLOW = 'Execution flow of workflow is not defined. Add steps to the workflow via .then(), .branch(), etc.';

function unitIdOf(step: StepLike): string {
  return step && typeof step === 'object' ? String((step as { id?: unknown }).id) : '';
}

export function createWorkflow<
  TId extends string,
  TInSchema extends AnySchema,
  TOutSchema extends AnySchema,
  TStateSchema extends AnySchema | undefined = undefined,
>(
  config: WorkflowConfig<TId, TInSchema, TOutSchema, TStateSchema>,
): Workflow<TId, InferOut<TInSchema>, InferOut<TOutSchema>, TStateSchema extends AnySchema ? InferOut<TStateSchema> : any, InferOut<TInSchema>> {
  return new Workflow(config as any) as any;
}
