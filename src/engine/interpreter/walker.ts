import type { GraphNode, UnitNode } from '../../define/graph.js';
import { runBranch, runParallel } from './concurrent.js';
import type { Exec } from './exec.js';
import { runForeach } from './foreach.js';
import { runLoop } from './loop.js';
import { runMap } from './map.js';
import { runNested } from './nested.js';
import type { Outcome, Value } from './outcome.js';
import type { Scope, Walk } from './scope.js';
import { runSleep } from './sleep.js';
import { runStep } from './step-runner.js';
import { runWaitForEvent } from './wait-event.js';

/**
 * Walks a workflow's nodes in order against the run's journal. A node whose row is recorded is
 * replayed, anything else runs and is recorded; recovery after a crash is this same walk.
 */
export async function walkSequence(exec: Exec, nodes: readonly GraphNode[], input: Value, scope: Scope): Promise<Outcome> {
  let current = input;
  for (const node of nodes) {
    if (exec.aborted) return { t: 'canceled' };
    const outcome = await walkNode(exec, node, current, scope);
    if (outcome.t !== 'ok') return outcome;
    current = outcome.value;
  }
  return { t: 'ok', value: current };
}

/** Runs a step or a nested workflow at `path`. */
function runUnit(exec: Exec, unit: UnitNode, input: Value, scope: Scope, path: string): Promise<Outcome> {
  return unit.type === 'step' ? runStep(exec, unit, input, scope, path) : runNested(WALK, exec, unit, input, scope, path);
}

/** What node interpreters that contain other nodes call back into. */
const WALK: Walk = { sequence: walkSequence, unit: runUnit };

function walkNode(exec: Exec, node: GraphNode, input: Value, scope: Scope): Promise<Outcome> {
  const path = scope.prefix + node.segment;
  switch (node.type) {
    case 'step':
    case 'workflow':
      return runUnit(exec, node, input, scope, path);
    case 'parallel':
      return runParallel(WALK, exec, node.children, input, scope, path);
    case 'branch':
      return runBranch(WALK, exec, node, input, scope, path);
    case 'loop':
      return runLoop(WALK, exec, node, input, scope, path);
    case 'foreach':
      return runForeach(WALK, exec, node, input, scope, path);
    case 'map':
      return runMap(exec, node, input, scope, path);
    case 'sleep':
    case 'sleepUntil':
      return runSleep(exec, node, input, scope, path);
    case 'waitForEvent':
      return runWaitForEvent(exec, node, input, scope, path);
  }
}
