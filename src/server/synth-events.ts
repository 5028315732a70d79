import type { StepResult, WorkflowResult } from '../define/run-types.js';
import { isTerminal } from '../domain/run-status.js';
import { stepEntries } from '../domain/step-entries.js';
import { finishPayload, type WorkflowEvent } from '../domain/workflow-events.js';

/**
 * Reconstructs the step-level events of a run from its stored result, for runs this process did not
 * watch live (executed by another worker, or before the server subscribed). Output chunks, progress
 * and custom `data-*` events are not stored, so they cannot be reconstructed; loops show their latest
 * iteration only (as `steps` does).
 *
 * Each event comes with a dedupe key. Live events get the same key (see `eventKey`), so an event seen
 * live is never sent twice when the journal is read again.
 */
export interface KeyedEvent {
  key: string | null;
  event: WorkflowEvent;
}


/** The dedupe key of an event, or null for events that are never synthesized (always appended). */
export function eventKey(e: WorkflowEvent): string | null {
  const p = e.payload;
  switch (e.type) {
    case 'workflow-start':
      return 'workflow-start';
    case 'workflow-finish':
      // A suspended finish can happen several times per run; its key names the suspensions it ends on.
      return p.workflowStatus === 'suspended' ? `workflow-finish|suspended|${String(p.suspendKey ?? '')}` : `workflow-finish|${String(p.workflowStatus)}`;
    case 'workflow-canceled':
      return 'workflow-canceled';
    case 'workflow-step-start':
    case 'workflow-step-suspended':
    case 'workflow-step-waiting':
      return `${e.type}|${String(p.id)}|${String(p.startedAt)}`;
    case 'workflow-step-result':
      return `${e.type}|${String(p.id)}|${String(p.startedAt)}|${String(p.status)}`;
    default:
      return null;
  }
}

function ev(runId: string, type: WorkflowEvent['type'], payload: Record<string, unknown>): KeyedEvent {
  const event: WorkflowEvent = { type, runId, from: 'WORKFLOW', payload };
  return { key: eventKey(event), event };
}

function stepEvents(runId: string, id: string, s: StepResult): KeyedEvent[] {
  const base = { id, payload: s.payload, startedAt: s.startedAt };
  const out = [ev(runId, 'workflow-step-start', { ...base, status: 'running' })];
  switch (s.status) {
    case 'success':
      out.push(ev(runId, 'workflow-step-result', { ...base, status: 'success', output: s.output, endedAt: s.endedAt }));
      break;
    case 'failed':
      out.push(ev(runId, 'workflow-step-result', { ...base, status: 'failed', error: s.error, endedAt: s.endedAt }));
      break;
    case 'suspended':
      out.push(ev(runId, 'workflow-step-suspended', { ...base, status: 'suspended', suspendPayload: s.suspendPayload }));
      break;
    case 'waiting':
      out.push(ev(runId, 'workflow-step-waiting', { ...base, status: 'waiting' }));
      break;
    default:
      break;
  }
  return out;
}

/** Identifies one suspension: the suspended steps with their start times. */
export function suspendKey(steps: { id: string; startedAt: unknown }[]): string {
  return steps.map((s) => `${s.id}@${String(s.startedAt)}`).sort().join(',');
}

/** Events implied by a stored result, oldest step first. Pending runs have produced no events yet. */
export function synthesize(result: WorkflowResult): KeyedEvent[] {
  if (result.status === 'pending') return [];
  const runId = result.runId;
  const out: KeyedEvent[] = [ev(runId, 'workflow-start', { runId })];
  const steps = stepEntries(result.steps).sort((a, b) => a[1].startedAt - b[1].startedAt);
  for (const [id, s] of steps) out.push(...stepEvents(runId, id, s));
  if (result.status === 'suspended') {
    const key = suspendKey(result.suspended.map((p) => ({ id: p.join('.'), startedAt: result.steps[p.join('.')]?.startedAt })));
    const e = ev(runId, 'workflow-finish', { ...finishPayload('suspended'), suspendKey: key });
    delete e.event.payload.suspendKey;
    out.push(e);
  }
  if (isTerminal(result.status)) {
    if (result.status === 'canceled') out.push(ev(runId, 'workflow-canceled', {}));
    const payload = finishPayload(result.status, {
      error: result.status === 'failed' ? result.error : undefined,
      hasResult: result.status === 'success',
      result: result.status === 'success' ? result.result : undefined,
    });
    // `result` is the name SSE readers had before the live and replayed finish shared one shape.
    if (result.status === 'success') payload.result = result.result;
    out.push(ev(runId, 'workflow-finish', payload));
  }
  return out;
}
