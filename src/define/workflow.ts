import { InvalidArgumentError, WorkflowDefinitionError } from '../errors.js';
import {
  serializeGraph,
  type ConditionFn,
  type GraphNode,
  type LoopConditionFn,
  type SerializedNode,
  type SleepMsFn,
  type SleepUntilFn,
  type UnitNode,
} from './graph.js';
import { lifecycleOf, type LifecycleOptions } from './lifecycle.js';
import { runtimeOf, type WorkflowRunListing, type WorkflowRuntime } from './runtime.js';
import { checkRunId } from '../domain/ids.js';
import type {
  CreateRunOptions,
  ListRunsOptions,
  ResultQueryOptions,
  RunHandle,
  RunView,
  WorkflowResult,
} from './run-types.js';
import { isStandardSchema, type AnySchema, type InferIn, type InferOut } from './schema.js';
import { checkId } from './step.js';
import type { RetryConfig, Step, StepContext } from './types.js';

/** Anything that can stand where a step goes. */
export type StepLike = Step<string, any, any> | AnyWorkflow;
export type AnyWorkflow = Workflow<string, any, any, any, any>;

type InOf<S> = S extends Step<string, infer I, any> ? I : S extends Workflow<string, infer I, any, any, any> ? I : never;
type OutOf<S> = S extends Step<string, any, infer O> ? O : S extends Workflow<string, any, infer O, any, any> ? O : never;
type IdOf<S> = S extends { id: infer I extends string } ? I : string;

/** Rejects, at compile time, a step whose input schema does not accept the previous output. */
type Accepts<TPrev, S> = [TPrev] extends [InOf<S>]
  ? S
  : S & { readonly __inputMismatch: 'the step input schema does not accept the previous step output' };

type OutputsById<Steps extends readonly StepLike[]> = { [S in Steps[number] as IdOf<S>]: OutOf<S> };
type BranchOutputs<Steps extends readonly StepLike[]> = { [S in Steps[number] as IdOf<S>]?: OutOf<S> };
type ElementOf<T> = T extends readonly (infer E)[] ? E : never;
/** foreach needs an array: without this, a non-array's element type is `never`, which accepts any step. */
type AcceptsEach<TPrev, S> = [TPrev] extends [readonly unknown[]]
  ? Accepts<ElementOf<TPrev>, S>
  : S & { readonly __inputMismatch: 'foreach needs an array as the previous step output' };

export interface WorkflowConfig<
  TId extends string,
  TInSchema extends AnySchema,
  TOutSchema extends AnySchema,
  TStateSchema extends AnySchema | undefined,
> {
  id: TId;
  description?: string;
  inputSchema: TInSchema;
  outputSchema: TOutSchema;
  stateSchema?: TStateSchema;
  retryConfig?: RetryConfig;
  /** `validateOutputs`, and the lifecycle callbacks (define/lifecycle.ts). */
  options?: { validateOutputs?: boolean } & LifecycleOptions;
  /** Flow control: at most `limit` runs at once, per `key(input)` when given. */
  concurrency?: { limit: number; key?: (input: InferOut<TInSchema>) => string };
  /** Higher runs first when workers pick runs from the store. */
  priority?: number;
  /** Cron schedule (see docs/operations.md). */
  schedule?: { cron: string; timezone?: string; inputData?: InferIn<TInSchema> };
  metadata?: Record<string, unknown>;
}


/**
 * A workflow under construction, then (after `.commit()`) an immutable graph that can run and be
 * nested like a step. Builders mutate and return `this`, typed with the new previous-output type.
 */
export class Workflow<TId extends string = string, TInput = any, TOutput = any, TState = any, TPrev = TInput> {
  readonly component = 'WORKFLOW' as const;
  readonly id: TId;
  readonly description?: string;
  readonly inputSchema: AnySchema;
  readonly outputSchema: AnySchema;
  readonly stateSchema?: AnySchema;
  readonly retryConfig: Required<Pick<RetryConfig, 'attempts' | 'delay'>> & RetryConfig;
  readonly options: { validateOutputs: boolean };
  /** onStart / onFinish / onError / shouldPersistSnapshot, checked at definition time. */
  readonly lifecycle: Readonly<LifecycleOptions>;
  readonly concurrency?: { limit: number; key?: (input: any) => string };
  readonly priority: number;
  readonly schedule?: { cron: string; timezone?: string; inputData?: unknown };
  readonly metadata?: Record<string, unknown>;
  declare readonly __in?: TInput;
  declare readonly __out?: TOutput;
  declare readonly __state?: TState;
  declare readonly __prev?: TPrev;

  private readonly nodes: GraphNode[] = [];
  private committed = false;
  private usedSegments = new Set<string>();

  constructor(config: WorkflowConfig<TId, AnySchema, AnySchema, AnySchema | undefined>) {
    if (!config || typeof config !== 'object') throw new WorkflowDefinitionError('createWorkflow needs a config object');
    checkId('workflow', config.id);
    const where = `workflow "${config.id}"`;
    if (!isStandardSchema(config.inputSchema)) throw new WorkflowDefinitionError(`${where}: inputSchema must be a Standard Schema value`);
    if (!isStandardSchema(config.outputSchema)) throw new WorkflowDefinitionError(`${where}: outputSchema must be a Standard Schema value`);
    if (config.stateSchema !== undefined && !isStandardSchema(config.stateSchema)) {
      throw new WorkflowDefinitionError(`${where}: stateSchema must be a Standard Schema value`);
    }
    const rc = config.retryConfig ?? {};
    if (rc.attempts !== undefined && !(Number.isInteger(rc.attempts) && rc.attempts >= 0)) {
      throw new WorkflowDefinitionError(`${where}: retryConfig.attempts must be a non-negative integer`);
    }
    if (rc.delay !== undefined && !(Number.isFinite(rc.delay) && rc.delay >= 0)) {
      throw new WorkflowDefinitionError(`${where}: retryConfig.delay must be a non-negative number of ms`);
    }
    if (config.concurrency !== undefined) {
      const c = config.concurrency;
      if (!c || !(Number.isInteger(c.limit) && c.limit > 0) || (c.key !== undefined && typeof c.key !== 'function')) {
        throw new WorkflowDefinitionError(`${where}: concurrency must be { limit: positive integer, key?: (input) => string }`);
      }
    }
    this.id = config.id as TId;
    this.description = config.description;
    this.inputSchema = config.inputSchema;
    this.outputSchema = config.outputSchema;
    this.stateSchema = config.stateSchema;
    this.retryConfig = { ...rc, attempts: rc.attempts ?? 0, delay: rc.delay ?? 0 };
    this.options = { validateOutputs: config.options?.validateOutputs ?? false };
    this.lifecycle = lifecycleOf(where, config.options);
    this.concurrency = config.concurrency;
    this.priority = config.priority ?? 0;
    this.schedule = config.schedule;
    this.metadata = config.metadata;
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

  map<TNext>(
    fn: (ctx: StepContext<TPrev, TState>) => TNext | Promise<TNext>,
    opts?: { id?: string },
  ): Workflow<TId, TInput, TOutput, TState, Awaited<TNext>> {
    if (typeof fn !== 'function') throw this.defError('map needs a function (Mastra\'s object form is not supported; write a function)');
    if (opts?.id !== undefined) checkId('map', opts.id);
    this.push({ type: 'map', segment: this.segmentFor(opts?.id ?? `mapping_${this.nodes.length}`), fn: fn as any });
    return this as any;
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

  /** Freezes the graph. A workflow must be committed before it runs or is nested. */
  commit(): Workflow<TId, TInput, TOutput, TState, TPrev> {
    if (this.nodes.length === 0) throw this.defError('cannot commit an empty workflow; add steps first');
    this.committed = true;
    return this;
  }

  get isCommitted(): boolean {
    return this.committed;
  }

  graph(): readonly GraphNode[] {
    return this.nodes;
  }

  get serializedStepGraph(): SerializedNode[] {
    return serializeGraph(this.nodes);
  }

  // ---- runs (delegated to the bound engine) ----------------------------------------------------

  async createRun(opts: CreateRunOptions = {}): Promise<RunHandle<TInput, TOutput, TState>> {
    this.assertRunnable();
    if (opts === null || typeof opts !== 'object') throw new InvalidArgumentError('createRun options must be an object');
    return this.rt().createRun(this, opts) as Promise<RunHandle<TInput, TOutput, TState>>;
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

  // ---- internals ----------------------------------------------------------------------------------

  private rt(): WorkflowRuntime {
    return runtimeOf(this);
  }

  private assertRunnable(): void {
    if (!this.committed) throw this.defError('call .commit() before creating runs');
  }

  private defError(message: string): WorkflowDefinitionError {
    return new WorkflowDefinitionError(`workflow "${this.id}": ${message}`);
  }

  private push(node: GraphNode): void {
    if (this.committed) throw this.defError('is committed; its graph cannot change');
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
    if (!step || typeof step !== 'object' || (step as Step).component !== 'STEP') {
      throw this.defError(`${where}() needs a step made by createStep or a committed workflow`);
    }
    return { type: 'step', segment: step.id, step: step as Step };
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
