import type { AnyWorkflow } from '../define/workflow.js';
import type { RunRecord } from '../store/types.js';
import type { Weft } from '../engine/weft.js';
import { RunNotFoundError } from '../errors.js';
import type { SerializedNode } from '../define/graph.js';
import { stepSchemas, type StepSchemaInfo } from './step-schemas.js';

/** JSON shapes the API returns (dates as ISO strings). The client declares the same shapes. */
export interface WorkflowInfo {
  key: string;
  id: string;
  description?: string;
  metadata?: Record<string, unknown>;
  stepGraph: SerializedNode[];
  /** Each step's resume and suspend schemas as JSON Schema, keyed like a result's step paths. */
  steps: Record<string, StepSchemaInfo>;
}

export interface RunSummaryJson {
  runId: string;
  workflowId: string;
  workflowName: string;
  resourceId?: string;
  status: RunRecord['status'];
  statusReason?: string;
  createdAt: string;
  updatedAt: string;
}

export function describeWorkflow(key: string, wf: AnyWorkflow): WorkflowInfo {
  const info: WorkflowInfo = { key, id: wf.id, stepGraph: wf.serializedStepGraph, steps: stepSchemas(wf) };
  if (wf.description) info.description = wf.description;
  if (wf.metadata) info.metadata = wf.metadata;
  return info;
}

export function summaryJson(run: RunRecord): RunSummaryJson {
  const s: RunSummaryJson = {
    runId: run.runId,
    workflowId: run.workflowId,
    workflowName: run.workflowId,
    status: run.status,
    createdAt: new Date(run.createdAt).toISOString(),
    updatedAt: new Date(run.updatedAt).toISOString(),
  };
  if (run.resourceId !== null) s.resourceId = run.resourceId;
  if (run.statusReason) s.statusReason = run.statusReason;
  return s;
}

/**
 * Finds a stored run of a workflow. Reads the store directly rather than `getWorkflowRunExecutionResult`
 * so a run id that only exists as an unstarted handle in this process is reported as unknown (404).
 */
export async function findRun(weft: Weft, workflowKey: string, runId: string): Promise<{ wf: AnyWorkflow; run: RunRecord }> {
  const wf = weft.getWorkflow(workflowKey);
  if (runId.length === 0 || runId.length > 200) throw new RunNotFoundError(runId.slice(0, 200));
  const run = await weft.store.loadRun(runId);
  if (!run || run.workflowId !== wf.id) throw new RunNotFoundError(runId);
  return { wf, run };
}
