import type { GraphNode } from '../../define/graph.js';
import { unitId } from '../../define/graph.js';
import { InvalidStepInputError, deserializeError } from '../../errors.js';
import type { Exec } from './exec.js';
import { guarded } from './guard.js';
import { journalRow, replayRecorded } from './journal-row.js';
import { combine, type Outcome, type Value } from './outcome.js';
import type { Scope, Walk } from './scope.js';

/**
 * Items suspended or resumed before this execution, by index: `.../foreach#N[i]/...` rows. Read once,
 * before any item runs, so an item that suspends now is told apart from one that was suspended before.
 */
function priorItemStates(exec: Exec, path: string): Map<number, 'suspended' | 'resumed'> {
  const states = new Map<number, 'suspended' | 'resumed'>();
  const prefix = `${path}[`;
  for (const e of exec.rows()) {
    if ((e.status !== 'suspended' && e.status !== 'resumed') || !e.path.startsWith(prefix)) continue;
    const i = Number(e.path.slice(prefix.length, e.path.indexOf(']', prefix.length)));
    // An item with a resumed row runs, even if another of its rows (in a nested workflow) is still suspended.
    if (e.status === 'resumed' || !states.has(i)) states.set(i, e.status);
  }
  return states;
}

/**
 * `.foreach(step, { concurrency })`: the step runs per item at `foreach#N[i]/step` (rows of kind
 * 'item'), at most `concurrency` at once; the whole array's result is one row at `foreach#N/step`,
 * which is what the run's `steps` shows and what a replay reads.
 *
 * Suspension works as in Mastra: once an item suspends, no further item starts (those in flight
 * finish), and the foreach is suspended. A resume of the foreach resumes every suspended item (or one,
 * by forEachIndex or label); the items that never started start then. Which items start depends only
 * on the journal, so a replay after a crash starts no item the first execution did not: an item found
 * suspended stops the start of the items after it, whether it suspended now or before (a resumed item
 * always runs).
 */
export function runForeach(
  walk: Walk,
  exec: Exec,
  node: Extract<GraphNode, { type: 'foreach' }>,
  input: Value,
  scope: Scope,
  path: string,
): Promise<Outcome> {
  const aggregatePath = `${path}/${node.child.segment}`;
  const id = unitId(node.child);
  const done = replayRecorded(exec, exec.row(aggregatePath), scope, id);
  if (done) return Promise.resolve(done);
  return guarded(exec, async () => {
    const items = input.v;
    if (!Array.isArray(items)) throw new InvalidStepInputError(`foreach "${id}" needs an array as input, got ${typeof items}`);
    const startedAt = exec.now();
    if (exec.hasListeners) exec.emit('workflow-step-start', { id: scope.idPrefix + id, payload: items, startedAt, status: 'running' });
    const results: Outcome[] = new Array(items.length);
    const prior = priorItemStates(exec, path);
    let next = 0;
    let completed = 0;
    /** A failure, cancel or bail: no further item runs. */
    let halt = false;
    /** A suspension: no further item starts, except resumed ones. */
    let suspended = false;
    const worker = async () => {
      while (!halt && next < items.length) {
        const i = next++;
        const state = prior.get(i);
        if (suspended && state !== 'resumed') continue;
        if (state === 'suspended') suspended = true;
        const inner: Scope = { ...scope, prefix: `${path}[${i}]/`, rowKind: 'item', outputs: new Map(scope.outputs) };
        const o = await walk.unit(exec, node.child, { v: items[i] }, inner, inner.prefix + node.child.segment);
        results[i] = o;
        completed++;
        if (o.t === 'failed' || o.t === 'canceled' || o.t === 'bail') halt = true;
        if (o.t === 'suspended') suspended = true;
        if (exec.hasListeners) {
          exec.emit('workflow-step-progress', {
            id: scope.idPrefix + id,
            completedCount: completed,
            totalCount: items.length,
            currentIndex: i,
            iterationStatus: o.t === 'ok' ? 'success' : o.t,
            ...(o.t === 'ok' ? { iterationOutput: o.value.v } : {}),
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(node.concurrency, items.length) }, worker));
    const worst = combine(results.filter((r) => r !== undefined));
    const inputJson = input.json !== undefined ? input.json : exec.encodeRow(items, `input of foreach "${id}"`);
    if (worst?.t === 'failed') {
      // The foreach shows as one failed step (its items are not steps of their own).
      const endedAt = exec.now();
      const error = JSON.stringify(worst.error);
      await exec.record(journalRow(exec.runId, { path: aggregatePath, kind: scope.rowKind, status: 'failed', attempt: 1, input: inputJson, error, startedAt, endedAt }));
      if (exec.hasListeners) exec.emit('workflow-step-result', { id: scope.idPrefix + id, status: 'failed', error: deserializeError(worst.error), payload: items, startedAt, endedAt });
    }
    if (worst) return worst;
    const value: Value = { v: results.map((r) => (r as Extract<Outcome, { t: 'ok' }>).value.v) };
    exec.encodeValue(value, `output of foreach "${id}"`);
    const endedAt = exec.now();
    const row = journalRow(exec.runId, { path: aggregatePath, kind: scope.rowKind, status: 'success', attempt: 1, input: inputJson, output: value.json, startedAt, endedAt });
    await exec.record(row, { input: items, output: value.v });
    scope.outputs.set(id, value.v);
    if (exec.hasListeners) exec.emit('workflow-step-result', { id: scope.idPrefix + id, status: 'success', output: value.v, payload: items, startedAt, endedAt });
    return { t: 'ok', value };
  });
}
