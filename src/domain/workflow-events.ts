/**
 * The names and payloads of the events a run emits (Mastra's stream vocabulary), defined once. The
 * engine emits them, the server stores and replays them, clients and the dashboard read them.
 */
import type { SerializedError } from '../errors.js';
import type { RunStatus } from './run-status.js';

export const WORKFLOW_EVENT_TYPES = [
  'workflow-start',
  'workflow-step-start',
  'workflow-step-output',
  // Output chunks a reader got from an attempt that a retry or a new owner superseded: discard them
  // (docs/durability.md, "Run streams").
  'workflow-step-output-reset',
  'workflow-step-progress',
  'workflow-step-result',
  'workflow-step-suspended',
  'workflow-step-waiting',
  'workflow-step-retry',
  'workflow-canceled',
  'workflow-finish',
] as const;

export type WorkflowEventType = (typeof WORKFLOW_EVENT_TYPES)[number];

/** Custom events a step passes through with `writer.custom()`. */
export type CustomEventType = `data-${string}`;

export interface WorkflowEvent {
  type: WorkflowEventType | CustomEventType;
  runId: string;
  from: 'WORKFLOW';
  payload: Record<string, unknown>;
}

/** Token usage reported on finish; weft's own steps use no model, so it is zero (as Mastra reports). */
export function zeroUsage(): { usage: { inputTokens: number; outputTokens: number; totalTokens: number } } {
  return { usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } };
}

/** The payload of `workflow-finish`, in the one shape every emitter uses. */
export function finishPayload(
  status: RunStatus,
  extra: { error?: Error | SerializedError; result?: unknown; hasResult?: boolean } = {},
): Record<string, unknown> {
  const payload: Record<string, unknown> = { workflowStatus: status, output: zeroUsage(), metadata: {} };
  if (extra.error) payload.error = extra.error;
  if (extra.hasResult) payload.finalWorkflowResult = extra.result;
  return payload;
}
