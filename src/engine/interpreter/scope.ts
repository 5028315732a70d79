import type { UnitNode, GraphNode } from '../../define/graph.js';
import type { AnyWorkflow } from '../../define/workflow.js';
import type { JournalKind } from '../../store/types.js';
import type { Exec } from './exec.js';
import type { Outcome, Value } from './outcome.js';

/**
 * Where in the run a node executes: the journal path prefix, the workflow whose graph it belongs to
 * (nested workflows get their own scope), and the outputs visible to `getStepResult` there.
 */
export interface Scope {
  prefix: string;
  /** Prefix for ids in events and results: '' at the top, 'child.' inside nested workflow 'child'. */
  idPrefix: string;
  workflow: AnyWorkflow;
  initData: unknown;
  outputs: Map<string, unknown>;
  rowKind: JournalKind;
}

/**
 * The walker's entry points, handed to the node interpreters that contain other nodes (parallel,
 * loops, foreach, nested workflows). Passing them in, instead of importing the walker, keeps the
 * mutual recursion out of the module graph.
 */
export interface Walk {
  sequence(exec: Exec, nodes: readonly GraphNode[], input: Value, scope: Scope): Promise<Outcome>;
  unit(exec: Exec, unit: UnitNode, input: Value, scope: Scope, path: string): Promise<Outcome>;
}
