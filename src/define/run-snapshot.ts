import type { RunStatus } from '../domain/run-status.js';
import type { SerializedError } from '../errors.js';

/**
 * The `snapshot` a run carries in `workflow.listWorkflowRuns()` (Mastra's WorkflowRun shape). weft has
 * no snapshot row (it keeps a journal), so this is built from the run row: its status, result or error,
 * state (`value`) and input (`context.input`). Step results are in `getWorkflowRunById`. With the
 * workflow option `shouldPersistSnapshot`, it is the state at the last outcome the predicate accepted.
 */
export interface RunSnapshot {
  runId: string;
  status: RunStatus;
  result?: unknown;
  error?: SerializedError;
  /** The run's state. */
  value: Record<string, unknown>;
  context: { input?: unknown };
  requestContext: Record<string, unknown>;
  /** When this state was recorded (epoch ms). */
  timestamp: number;
}

/**
 * Fields `getWorkflowRunById(runId, { fields })` can ask for (Mastra's WorkflowStateField, plus weft's
 * own view fields). runId, workflowName, resourceId, createdAt, updatedAt and status always come back.
 * Mastra's graph-position fields (activeStepsPath, suspendedPaths, resumeLabels, waitingPaths) are
 * accepted and never present: weft addresses steps by path, not by graph index.
 */
export const RUN_VIEW_FIELDS = [
  'runId',
  'workflowName',
  'resourceId',
  'createdAt',
  'updatedAt',
  'status',
  'result',
  'error',
  'payload',
  'steps',
  'serializedStepGraph',
  'requestContext',
  'state',
  'metadata',
  'traceId',
  'activeStepsPath',
  'suspendedPaths',
  'resumeLabels',
  'waitingPaths',
  'tracingContext',
] as const;

export type RunViewField = (typeof RUN_VIEW_FIELDS)[number];
