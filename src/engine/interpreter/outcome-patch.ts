import type { RunStatus } from '../../domain/run-status.js';
import { finishPayload, type WorkflowEventType } from '../../domain/workflow-events.js';
import { plainError, serializeError, type SerializedError } from '../../errors.js';
import { isEnvelope } from '../../domain/value-codec.js';
import type { RunPatch } from '../../store/types.js';
import type { Outcome } from './outcome.js';

/** What the run row gets besides the outcome, as the execution holds it. */
export interface OutcomeFields {
  /** The run's state as JSON text (RunValues.safeEncode). */
  state: string | null;
  /** Whether the run row carries a status reason now (a store fault parked it): cleared as it moves on. */
  hadStatusReason: boolean;
  /** The request context's JSON when a step changed it since it was last written, else undefined. */
  requestContext: string | undefined;
  /** Encodes a run-row field as plain JSON (RunValues.encodeRunField); throws when it cannot. */
  encodeRunField(value: unknown, what: string): string | null;
}

/** The run row's patch for an outcome: status, result or error, state, wake time; released. */
export function outcomePatch(outcome: Outcome, f: OutcomeFields): RunPatch {
  const patch: RunPatch = { status: 'canceled', state: f.state, release: true, wakeAt: null };
  if (f.hadStatusReason) patch.statusReason = null;
  if (f.requestContext !== undefined) patch.requestContext = f.requestContext;
  switch (outcome.t) {
    case 'ok':
    case 'bail':
      try {
        // The run row holds plain JSON (it is read without the run's blobs): a value stored by content
        // in the journal is written out whole here, once.
        const json = outcome.value.json;
        patch.result = json !== undefined && (json === null || !isEnvelope(json)) ? json : f.encodeRunField(outcome.value.v, 'workflow result');
        patch.status = 'success';
      } catch (err) {
        patch.status = 'failed';
        patch.error = JSON.stringify(serializeError(err));
      }
      return patch;
    case 'failed':
      patch.status = 'failed';
      patch.error = JSON.stringify(outcome.error);
      return patch;
    case 'suspended':
      patch.status = 'suspended';
      return patch;
    case 'paused':
      patch.status = 'paused';
      return patch;
    case 'waiting':
      patch.status = 'waiting';
      patch.wakeAt = outcome.wakeAt;
      return patch;
    case 'canceled':
      return patch;
  }
}

/**
 * The events that end a run's stream for a committed outcome. A parked run is not finished: it
 * continues when its timer fires, and its stream stays open (none). A paused or suspended one ends this
 * stream: it goes on only when someone resumes it.
 */
export function finishEvents(status: RunStatus, outcome: Outcome): [WorkflowEventType, Record<string, unknown>][] {
  if (status === 'waiting') return [];
  const out: [WorkflowEventType, Record<string, unknown>][] = [];
  if (status === 'canceled') out.push(['workflow-canceled', {}]);
  const error: SerializedError | undefined = outcome.t === 'failed' ? plainError(outcome.error) : undefined;
  const ok = outcome.t === 'ok' || outcome.t === 'bail';
  out.push(['workflow-finish', finishPayload(status, { error, hasResult: ok, result: ok ? outcome.value.v : undefined })]);
  return out;
}
