import type { GraphNode, UnitNode } from '../define/graph.js';
import { unitId } from '../define/graph.js';
import { serializeError, WeftError } from '../errors.js';
import type { JournalEntry } from '../store/types.js';
import { createContext } from './context.js';
import type { RunExecution } from './execution.js';
import { combine, type Outcome, type Value } from './outcome.js';
import { decodeRow } from './payload.js';
import type { Scope } from './scope.js';
import { runUnit, sleepUnlessAborted } from './step-runner.js';

/**
 * Walks a workflow's nodes in order against the run's journal. A node whose row is recorded is
 * replayed, anything else runs and is recorded; recovery after a crash is this same walk.
 */
export async function walkSequence(exec: RunExecution, nodes: readonly GraphNode[], input: Value, scope: Scope): Promise<Outcome> {
  let current = input;
  for (const node of nodes) {
    if (exec.aborted) return { t: 'canceled' };
    const outcome = await walkNode(exec, node, current, scope);
    if (outcome.t !== 'ok') return outcome;
    current = outcome.value;
  }
  return { t: 'ok', value: current };
}

function walkNode(exec: RunExecution, node: GraphNode, input: Value, scope: Scope): Promise<Outcome> {
  const path = scope.prefix + node.segment;
  switch (node.type) {
    case 'step':
    case 'workflow':
      return runUnit(exec, node, input, scope, path);
    case 'parallel':
      return runConcurrently(exec, node.children, input, scope, path);
    case 'branch':
      return runBranch(exec, node, input, scope, path);
    case 'loop':
      return runLoop(exec, node, input, scope, path);
    case 'foreach':
      return runForeach(exec, node, input, scope, path);
    case 'map':
      return runMap(exec, node, input, scope, path);
    case 'sleep':
    case 'sleepUntil':
      return runSleep(exec, node, input, scope, path);
  }
}

class DefinitionUseError extends WeftError {
  constructor(message: string) {
    super('INVALID_STEP_INPUT', message);
  }
}

/** Context for conditions and `.map` functions: a step context without a step of its own. */
function fnContext(exec: RunExecution, scope: Scope, inputData: unknown, id: string) {
  return createContext(exec, scope, id, {}, inputData, undefined, 0);
}

async function runConcurrently(exec: RunExecution, units: UnitNode[], input: Value, scope: Scope, path: string): Promise<Outcome> {
  const inner = { ...scope, prefix: `${path}/` };
  const outcomes = await Promise.all(units.map((u) => runUnit(exec, u, input, inner, inner.prefix + u.segment)));
  const worst = combine(outcomes);
  if (worst) return worst;
  const out: Record<string, unknown> = {};
  units.forEach((u, i) => {
    const o = outcomes[i];
    if (o?.t === 'ok') out[unitId(u)] = o.value.v;
  });
  return { t: 'ok', value: { v: out } };
}

/** Records a small decision (branch choice, loop condition) so a replay takes the same path. */
async function decide<T>(exec: RunExecution, scope: Scope, path: string, evaluate: () => Promise<T>): Promise<T> {
  const entry = exec.journal.get(path);
  if (entry?.status === 'success') return decodeRow(entry.output, entry.runId, path, 'output') as T;
  const startedAt = exec.host.now();
  const value = await evaluate();
  const row: JournalEntry = {
    runId: exec.runId,
    path,
    kind: 'decision',
    status: 'success',
    attempt: 1,
    input: null,
    output: JSON.stringify(value),
    error: null,
    meta: null,
    startedAt,
    endedAt: exec.host.now(),
  };
  await exec.record(row);
  return value;
}

async function guarded(exec: RunExecution, fn: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await fn();
  } catch (err) {
    if (exec.aborted) return { t: 'canceled' };
    return { t: 'failed', error: serializeError(err) };
  }
}

function runBranch(
  exec: RunExecution,
  node: Extract<GraphNode, { type: 'branch' }>,
  input: Value,
  scope: Scope,
  path: string,
): Promise<Outcome> {
  return guarded(exec, async () => {
    const chosen = await decide(exec, scope, path, async () => {
      const picks: number[] = [];
      for (let i = 0; i < node.conditions.length; i++) {
        const cond = node.conditions[i]!;
        if (await cond(fnContext(exec, scope, input.v, `${node.segment}-condition`))) picks.push(i);
      }
      return picks;
    });
    const units = chosen.map((i) => node.children[i]).filter((u): u is UnitNode => u !== undefined);
    if (units.length === 0) return { t: 'ok', value: { v: {} } };
    return runConcurrently(exec, units, input, scope, path);
  });
}

function runLoop(
  exec: RunExecution,
  node: Extract<GraphNode, { type: 'loop' }>,
  input: Value,
  scope: Scope,
  path: string,
): Promise<Outcome> {
  return guarded(exec, async () => {
    let current = input;
    for (let i = 1; ; i++) {
      if (exec.aborted) return { t: 'canceled' };
      const iterPath = `${path}[${i}]`;
      const inner = { ...scope, prefix: `${iterPath}/` };
      const outcome = await runUnit(exec, node.child, current, inner, inner.prefix + node.child.segment);
      if (outcome.t !== 'ok') return outcome;
      current = outcome.value;
      const value = current.v;
      const holds = await decide(exec, scope, iterPath, async () =>
        Boolean(await node.cond(Object.assign(fnContext(exec, scope, value, `${node.segment}-condition`), { iterationCount: i }))),
      );
      const again = node.mode === 'dowhile' ? holds : !holds;
      if (!again) return { t: 'ok', value: current };
    }
  });
}

function runForeach(
  exec: RunExecution,
  node: Extract<GraphNode, { type: 'foreach' }>,
  input: Value,
  scope: Scope,
  path: string,
): Promise<Outcome> {
  const aggregatePath = `${path}/${node.child.segment}`;
  const id = unitId(node.child);
  const done = exec.journal.get(aggregatePath);
  if (done?.status === 'success') {
    const value: Value = { v: decodeRow(done.output, done.runId, done.path, 'output'), json: done.output };
    scope.outputs.set(id, value.v);
    return Promise.resolve({ t: 'ok', value });
  }
  return guarded(exec, async () => {
    const items = input.v;
    if (!Array.isArray(items)) throw new DefinitionUseError(`foreach "${id}" needs an array as input, got ${typeof items}`);
    const startedAt = exec.host.now();
    if (exec.hasListeners) exec.emit('workflow-step-start', { id: scope.idPrefix + id, payload: items, startedAt, status: 'running' });
    const results: Outcome[] = new Array(items.length);
    let next = 0;
    let completed = 0;
    let stop = false;
    const worker = async () => {
      while (!stop && next < items.length) {
        const i = next++;
        const inner: Scope = { ...scope, prefix: `${path}[${i}]/`, rowKind: 'item', outputs: new Map(scope.outputs) };
        const o = await runUnit(exec, node.child, { v: items[i] }, inner, inner.prefix + node.child.segment);
        results[i] = o;
        completed++;
        if (o.t === 'failed' || o.t === 'canceled' || o.t === 'bail') stop = true;
        if (exec.hasListeners) {
          exec.emit('workflow-step-progress', { id: scope.idPrefix + id, completedCount: completed, totalCount: items.length, currentIndex: i, iterationStatus: o.t === 'ok' ? 'success' : o.t, ...(o.t === 'ok' ? { iterationOutput: o.value.v } : {}) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(node.concurrency, items.length) }, worker));
    const worst = combine(results.filter((r) => r !== undefined));
    if (worst?.t === 'failed') {
      // The foreach shows as one failed step (its items are not steps of their own).
      const endedAt = exec.host.now();
      await exec.record({
        runId: exec.runId,
        path: aggregatePath,
        kind: scope.rowKind,
        status: 'failed',
        attempt: 1,
        input: input.json ?? exec.encode(items, `input of foreach "${id}"`),
        output: null,
        error: JSON.stringify(worst.error),
        meta: null,
        startedAt,
        endedAt,
      });
      if (exec.hasListeners) exec.emit('workflow-step-result', { id: scope.idPrefix + id, status: 'failed', error: worst.error, payload: items, startedAt, endedAt });
    }
    if (worst) return worst;
    const outputs = results.map((r) => (r as Extract<Outcome, { t: 'ok' }>).value.v);
    const output = exec.encode(outputs, `output of foreach "${id}"`);
    const endedAt = exec.host.now();
    await exec.record({
      runId: exec.runId,
      path: aggregatePath,
      kind: scope.rowKind,
      status: 'success',
      attempt: 1,
      input: input.json ?? exec.encode(items, `input of foreach "${id}"`),
      output,
      error: null,
      meta: null,
      startedAt,
      endedAt,
    });
    scope.outputs.set(id, outputs);
    if (exec.hasListeners) exec.emit('workflow-step-result', { id: scope.idPrefix + id, status: 'success', output: outputs, payload: items, startedAt, endedAt });
    return { t: 'ok', value: { v: outputs, json: output } };
  });
}

function runMap(exec: RunExecution, node: Extract<GraphNode, { type: 'map' }>, input: Value, scope: Scope, path: string): Promise<Outcome> {
  const done = exec.journal.get(path);
  if (done?.status === 'success') {
    const value: Value = { v: decodeRow(done.output, done.runId, done.path, 'output'), json: done.output };
    scope.outputs.set(node.segment, value.v);
    return Promise.resolve({ t: 'ok', value });
  }
  return guarded(exec, async () => {
    const startedAt = exec.host.now();
    const v = await node.fn(fnContext(exec, scope, input.v, node.segment));
    const json = exec.encode(v, `result of map "${node.segment}"`);
    await exec.record({
      runId: exec.runId,
      path,
      kind: scope.rowKind === 'item' ? 'item' : 'step',
      status: 'success',
      attempt: 1,
      input: null,
      output: json,
      error: null,
      meta: null,
      startedAt,
      endedAt: exec.host.now(),
    });
    scope.outputs.set(node.segment, v);
    return { t: 'ok', value: { v, json } };
  });
}

function runSleep(
  exec: RunExecution,
  node: Extract<GraphNode, { type: 'sleep' | 'sleepUntil' }>,
  input: Value,
  scope: Scope,
  path: string,
): Promise<Outcome> {
  const entry = exec.journal.get(path);
  if (entry?.status === 'success') return Promise.resolve({ t: 'ok', value: input });
  return guarded(exec, async () => {
    let wakeAt: number;
    const startedAt = exec.host.now();
    const recorded = entry?.status === 'waiting' ? (decodeRow(entry.meta, entry.runId, path, 'meta') as { wakeAt?: number } | undefined)?.wakeAt : undefined;
    if (recorded !== undefined) wakeAt = recorded;
    else {
      wakeAt = await computeWakeAt(exec, node, input, scope, startedAt);
      await exec.record(sleepRow(exec, scope, path, 'waiting', wakeAt, startedAt, null));
      if (exec.hasListeners) exec.emit('workflow-step-waiting', { id: scope.idPrefix + node.segment, payload: input.v, startedAt, status: 'waiting', wakeAt });
    }
    const remaining = wakeAt - exec.host.now();
    if (remaining > exec.host.inProcessSleepMs) return { t: 'waiting', wakeAt };
    if (remaining > 0 && (await sleepUnlessAborted(exec, remaining))) return { t: 'canceled' };
    await exec.record(sleepRow(exec, scope, path, 'success', wakeAt, entry?.startedAt ?? startedAt, exec.host.now()));
    return { t: 'ok', value: input };
  });
}

async function computeWakeAt(
  exec: RunExecution,
  node: Extract<GraphNode, { type: 'sleep' | 'sleepUntil' }>,
  input: Value,
  scope: Scope,
  now: number,
): Promise<number> {
  if (node.type === 'sleep') {
    const ms = typeof node.duration === 'number' ? node.duration : await node.duration(fnContext(exec, scope, input.v, node.segment));
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new DefinitionUseError(`sleep "${node.segment}" got an invalid duration: ${String(ms)}`);
    return now + ms;
  }
  const d = node.date instanceof Date ? node.date : await node.date(fnContext(exec, scope, input.v, node.segment));
  const t = d instanceof Date ? d.getTime() : d;
  if (typeof t !== 'number' || !Number.isFinite(t)) throw new DefinitionUseError(`sleepUntil "${node.segment}" got an invalid date`);
  return t;
}

function sleepRow(exec: RunExecution, scope: Scope, path: string, status: 'waiting' | 'success', wakeAt: number, startedAt: number, endedAt: number | null): JournalEntry {
  return {
    runId: exec.runId,
    path,
    kind: scope.rowKind === 'item' ? 'item' : 'step',
    status,
    attempt: 1,
    input: null,
    output: null,
    error: null,
    meta: JSON.stringify({ wakeAt }),
    startedAt,
    endedAt,
  };
}
