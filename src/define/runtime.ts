import { WorkflowDefinitionError } from '../errors.js';
import type {
  CreateRunOptions,
  ListRunsOptions,
  ResultQueryOptions,
  RunHandle,
  RunSummary,
  RunView,
  WorkflowResult,
} from './run-types.js';
import type { AnyWorkflow } from './workflow.js';

/**
 * The seam between pure definitions and the engine. A workflow delegates its run methods to the
 * runtime it is bound to (a Weft), or to the process-wide default in-memory engine, which the engine
 * layer installs through `setDefaultRuntimeProvider` (define/ never imports engine/).
 */
export interface WorkflowRuntime {
  createRun(wf: AnyWorkflow, opts: CreateRunOptions): Promise<RunHandle>;
  getWorkflowRunExecutionResult(wf: AnyWorkflow, runId: string, opts: ResultQueryOptions): Promise<WorkflowResult | null>;
  getWorkflowRunById(wf: AnyWorkflow, runId: string, opts: ResultQueryOptions): Promise<RunView | null>;
  listWorkflowRuns(wf: AnyWorkflow, opts: ListRunsOptions): Promise<{ runs: RunSummary[]; total: number }>;
  deleteWorkflowRunById(wf: AnyWorkflow, runId: string): Promise<boolean>;
}

let defaultProvider: (() => WorkflowRuntime) | undefined;

export function setDefaultRuntimeProvider(provider: () => WorkflowRuntime): void {
  defaultProvider = provider;
}

export function defaultRuntime(): WorkflowRuntime {
  if (!defaultProvider) {
    throw new WorkflowDefinitionError('no workflow engine is loaded; import workflows from "weft", not a sub-path');
  }
  return defaultProvider();
}
