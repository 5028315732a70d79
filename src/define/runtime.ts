import { WorkflowAlreadyRegisteredError, WorkflowDefinitionError } from '../errors.js';
import type {
  CreateRunOptions,
  ListRunsOptions,
  ResultQueryOptions,
  RunHandle,
  StartManyItem,
  StartManyOptions,
  StartManyResult,
  RunSummary,
  RunView,
  WorkflowResult,
} from './run-types.js';
import type { RunSnapshot } from './run-snapshot.js';

/** A run in `workflow.listWorkflowRuns()`: its summary, plus Mastra's `snapshot` (define/run-snapshot.ts). */
export interface WorkflowRunListing extends RunSummary {
  snapshot: RunSnapshot;
}

/** The part of a workflow the runtime seam needs to name it (define/ types stay free of the engine). */
export interface RuntimeWorkflow {
  readonly id: string;
}

/**
 * The seam between pure definitions and the engine. A workflow delegates its run methods to the
 * runtime it is registered with (a Weft), or to the process-wide default in-memory engine, which the
 * engine layer installs through `setDefaultRuntimeProvider` (define/ never imports engine/).
 */
export interface WorkflowRuntime {
  createRun(wf: RuntimeWorkflow, opts: CreateRunOptions): Promise<RunHandle>;
  startMany(wf: RuntimeWorkflow, items: StartManyItem[], opts: StartManyOptions): Promise<StartManyResult[]>;
  getWorkflowRunExecutionResult(wf: RuntimeWorkflow, runId: string, opts: ResultQueryOptions): Promise<WorkflowResult | null>;
  getWorkflowRunById(wf: RuntimeWorkflow, runId: string, opts: ResultQueryOptions): Promise<RunView | null>;
  listWorkflowRuns(wf: RuntimeWorkflow, opts: ListRunsOptions): Promise<{ runs: WorkflowRunListing[]; total: number }>;
  deleteWorkflowRunById(wf: RuntimeWorkflow, runId: string): Promise<boolean>;
  listActiveWorkflowRuns(wf: RuntimeWorkflow): Promise<{ runs: RunSummary[]; total: number }>;
  restartAllActiveWorkflowRuns(wf: RuntimeWorkflow): Promise<void>;
}

let defaultProvider: (() => WorkflowRuntime) | undefined;

/** Which engine each workflow object is registered with. Kept here, not on the object itself. */
const bindings = new WeakMap<RuntimeWorkflow, WorkflowRuntime>();

export function setDefaultRuntimeProvider(provider: () => WorkflowRuntime): void {
  defaultProvider = provider;
}

/** Registers `wf` with `runtime`; refuses when another runtime that is still running has it. */
export function bindRuntime(wf: RuntimeWorkflow, runtime: WorkflowRuntime): void {
  const current = bindings.get(wf);
  if (current !== undefined && current !== runtime) throw new WorkflowAlreadyRegisteredError(wf.id);
  bindings.set(wf, runtime);
}

/** Releases `wf` from `runtime` (when the engine stops), so another engine may take it. */
export function unbindRuntime(wf: RuntimeWorkflow, runtime: WorkflowRuntime): void {
  if (bindings.get(wf) === runtime) bindings.delete(wf);
}

/** The engine a workflow's run methods go to: the one it is registered with, else the default engine. */
export function runtimeOf(wf: RuntimeWorkflow): WorkflowRuntime {
  const bound = bindings.get(wf);
  if (bound) return bound;
  if (!defaultProvider) {
    throw new WorkflowDefinitionError('no workflow engine is loaded; import workflows from "weft", not a sub-path');
  }
  return defaultProvider();
}
