import type { GraphNode } from '../../define/graph.js';
import { unitId } from '../../define/graph.js';
import { InvalidStepInputError, deserializeError } from '../../errors.js';
import type { Exec } from './exec.js';
import { guarded } from './guard.js';
import { journalRow, replayRecorded } from './journal-row.js';
import { combine, type Outcome, type Value } from './outcome.js';
import type { Scope, Walk } from './scope.js';

/**
 * `.foreach(step, { concurrency })`: the step runs per item at `foreach#N[i]/step` (rows of kind
 * 'item'), at most `concurrency` at once; the whole array's result is one row at `foreach#N/step`,
 * which is what the run's `steps` shows and what a replay reads.
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
    let next = 0;
    let completed = 0;
    let stop = false;
    const worker = async () => {
      while (!stop && next < items.length) {
        const i = next++;
        const inner: Scope = { ...scope, prefix: `${path}[${i}]/`, rowKind: 'item', outputs: new Map(scope.outputs) };
        const o = await walk.unit(exec, node.child, { v: items[i] }, inner, inner.prefix + node.child.segment);
        results[i] = o;
        completed++;
        if (o.t === 'failed' || o.t === 'canceled' || o.t === 'bail') stop = true;
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
    const inputJson = input.json !== undefined ? input.json : exec.encode(items, `input of foreach "${id}"`);
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
