import type { GraphNode } from '../../define/graph.js';
import { fnContext } from './context.js';
import type { Exec } from './exec.js';
import { guarded } from './guard.js';
import { journalRow, replayRecorded, rowKindOf } from './journal-row.js';
import type { Outcome, Value } from './outcome.js';
import type { Scope } from './scope.js';

/** `.map(fn)`: the function's result is recorded, so a replay sees the value it returned then. */
export function runMap(exec: Exec, node: Extract<GraphNode, { type: 'map' }>, input: Value, scope: Scope, path: string): Promise<Outcome> {
  const done = replayRecorded(exec, exec.row(path), scope, node.segment);
  if (done) return Promise.resolve(done);
  return guarded(exec, async () => {
    const startedAt = exec.now();
    const value: Value = { v: await node.fn(fnContext(exec, scope, input.v, node.segment)) };
    exec.encodeValue(value, `result of map "${node.segment}"`);
    const row = journalRow(exec.runId, { path, kind: rowKindOf(scope), status: 'success', attempt: 1, output: value.json, startedAt, endedAt: exec.now() });
    await exec.record(row, { input: undefined, output: value.v });
    scope.outputs.set(node.segment, value.v);
    return { t: 'ok', value };
  });
}
