import type { GraphNode } from '../../define/graph.js';
import { InvalidStepInputError } from '../../errors.js';
import { fnContext } from './context.js';
import type { Exec } from './exec.js';
import { guarded } from './guard.js';
import { journalRow, rowKindOf } from './journal-row.js';
import type { Outcome, Value } from './outcome.js';
import type { Scope } from './scope.js';
import { sleepUnlessAborted } from './step-runner.js';

type SleepNode = Extract<GraphNode, { type: 'sleep' | 'sleepUntil' }>;

/**
 * `.sleep` / `.sleepUntil`: the wake time is recorded first (a 'waiting' row), so it survives restarts.
 * Short sleeps wait in process; longer ones park the run (status `waiting`) until a worker's timer.
 * The node passes its input through.
 */
export function runSleep(exec: Exec, node: SleepNode, input: Value, scope: Scope, path: string): Promise<Outcome> {
  const entry = exec.row(path);
  if (entry?.status === 'success') return Promise.resolve({ t: 'ok', value: input });
  return guarded(exec, async () => {
    const startedAt = exec.now();
    const kind = rowKindOf(scope);
    let wakeAt = entry?.status === 'waiting' ? exec.metaOf(entry).wakeAt : undefined;
    if (wakeAt === undefined) {
      wakeAt = await computeWakeAt(exec, node, input, scope, startedAt);
      await exec.record(journalRow(exec.runId, { path, kind, status: 'waiting', attempt: 1, meta: { wakeAt }, startedAt, endedAt: null }));
      if (exec.hasListeners) exec.emit('workflow-step-waiting', { id: scope.idPrefix + node.segment, payload: input.v, startedAt, status: 'waiting', wakeAt });
    }
    const remaining = wakeAt - exec.now();
    if (remaining > exec.inProcessSleepMs) return { t: 'waiting', wakeAt };
    if (remaining > 0 && (await sleepUnlessAborted(exec, remaining))) return { t: 'canceled' };
    await exec.record(journalRow(exec.runId, { path, kind, status: 'success', attempt: 1, meta: { wakeAt }, startedAt: entry?.startedAt ?? startedAt, endedAt: exec.now() }));
    return { t: 'ok', value: input };
  });
}

async function computeWakeAt(exec: Exec, node: SleepNode, input: Value, scope: Scope, now: number): Promise<number> {
  if (node.type === 'sleep') {
    const ms = typeof node.duration === 'number' ? node.duration : await node.duration(fnContext(exec, scope, input.v, node.segment));
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new InvalidStepInputError(`sleep "${node.segment}" got an invalid duration: ${String(ms)}`);
    return now + ms;
  }
  const d = node.date instanceof Date ? node.date : await node.date(fnContext(exec, scope, input.v, node.segment));
  const t = d instanceof Date ? d.getTime() : d;
  if (typeof t !== 'number' || !Number.isFinite(t)) throw new InvalidStepInputError(`sleepUntil "${node.segment}" got an invalid date`);
  return t;
}
