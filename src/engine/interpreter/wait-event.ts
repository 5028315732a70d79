import type { GraphNode } from '../../define/graph.js';
import type { DeliveredEvent } from '../../domain/journal-meta.js';
import { EventTimeoutError, InvalidStepInputError, serializeError, type SerializedError } from '../../errors.js';
import { fnContext } from './context.js';
import type { Exec } from './exec.js';
import { guarded } from './guard.js';
import { journalRow, rowKindOf } from './journal-row.js';
import type { Outcome, Value } from './outcome.js';
import type { Scope } from './scope.js';
import { runStep, type Delivery } from './step-runner.js';

type WaitNode = Extract<GraphNode, { type: 'waitForEvent' }>;

/**
 * `.waitForEvent`: the wait is a journal row at the node's path, written together with its registration
 * in the store (Store.registerWait), so an event sent at any moment finds either the wait or, when the
 * run gets there, the stored event. While nothing has arrived the run parks (`waiting`, its wake time
 * the deadline or none) and no process holds anything for it. An event sent meanwhile marks the row
 * 'resumed' with itself and makes the run runnable; the step then runs with the event as resumeData.
 */
export function runWaitForEvent(exec: Exec, node: WaitNode, input: Value, scope: Scope, path: string): Promise<Outcome> {
  const childPath = scope.prefix + node.child.segment;
  return guarded(exec, async () => {
    let entry = exec.row(path);
    if (entry?.status === 'failed') return { t: 'failed', error: JSON.parse(entry.error ?? '{}') as SerializedError };
    if (!exec.row(childPath) && (!entry || entry.status === 'waiting')) {
      const wait = node.wait;
      const kind = rowKindOf(scope);
      if (!entry) {
        const startedAt = exec.now();
        let key: string | null = null;
        if (wait.key) {
          const k = await wait.key(fnContext(exec, scope, input.v, node.segment));
          if (typeof k !== 'string' && typeof k !== 'number') throw new InvalidStepInputError(`waitForEvent "${node.segment}": match.key must return a string or a number, got ${typeof k}`);
          key = String(k);
        }
        const deadline = wait.timeoutMs === undefined ? null : startedAt + wait.timeoutMs;
        const meta = { wait: { events: wait.events, key, deadline, onTimeout: wait.onTimeout } };
        const row = journalRow(exec.runId, { path, kind, status: 'waiting', attempt: 1, meta, startedAt, endedAt: null });
        const event = await exec.registerWait(row, wait.events, key);
        if (!event && exec.hasListeners) exec.emit('workflow-step-waiting', { id: scope.idPrefix + node.segment, payload: input.v, startedAt, status: 'waiting', event: wait.events, key, deadline });
      } else {
        const w = exec.metaOf(entry).wait;
        if (w?.deadline != null && exec.now() >= w.deadline) {
          // The deadline passed without an event. Recorded under the lease: a send that delivers first
          // moves the epoch and this write is fenced; one that comes after finds the row no longer waiting.
          if (w.onTimeout === 'fail') {
            const error = serializeError(new EventTimeoutError(w.events, w.deadline - entry.startedAt));
            await exec.record(journalRow(exec.runId, { path, kind, status: 'failed', attempt: 1, error: JSON.stringify(error), meta: { ...exec.metaOf(entry), timedOut: true }, startedAt: entry.startedAt, endedAt: exec.now() }));
            return { t: 'failed', error };
          }
          await exec.record(journalRow(exec.runId, { path, kind, status: 'resumed', attempt: 1, meta: { ...exec.metaOf(entry), timedOut: true }, startedAt: entry.startedAt, endedAt: exec.now() }));
        } else if (w) {
          // Claimed while still waiting (a restart, a sibling's timer): registered again, which also picks
          // up an event sent in the meantime whose delivery found no registration.
          await exec.registerWait(entry, w.events, w.key);
        }
      }
      entry = exec.row(path)!;
      if (entry.status === 'waiting') return { t: 'waiting', wakeAt: exec.metaOf(entry).wait?.deadline ?? null };
    }
    const meta = entry ? exec.metaOf(entry) : {};
    const delivery: Delivery = meta.event ? { event: meta.event as DeliveredEvent, schema: node.wait.schema } : { timedOut: meta.timedOut === true, schema: node.wait.schema };
    if (node.child.type !== 'step') throw new InvalidStepInputError(`waitForEvent "${node.segment}" must be followed by a step`);
    return runStep(exec, node.child, input, scope, childPath, delivery);
  });
}
