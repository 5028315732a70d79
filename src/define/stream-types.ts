import type { CustomEventType, WorkflowEventType } from '../domain/workflow-events.js';

/**
 * The chunks of a run's streams, in Mastra 1.71's formats. They are weft's run events
 * (domain/workflow-events.ts) shaped the way Mastra's stream readers expect them.
 */

/**
 * A chunk of `run.stream()`, `resumeStream()`, `observeStream()` and `watch()` (Mastra's
 * WorkflowStreamEvent): step events carry `stepName` and a `stepCallId` shared by the start, result and
 * suspension of one step call; what a step writes (`writer.write`, `writer.custom`) comes `from: 'USER'`.
 */
export interface WorkflowStreamChunk {
  type: WorkflowEventType | CustomEventType;
  runId: string;
  from: 'WORKFLOW' | 'USER';
  payload: Record<string, unknown>;
}

/** A chunk of `run.streamLegacy()` (Mastra's legacy StreamEvent). */
export interface LegacyStreamChunk {
  type: 'start' | 'step-start' | 'step-result' | 'step-finish' | 'step-suspended' | 'step-waiting' | 'finish';
  payload: Record<string, unknown>;
}
