import type { WaitSpec } from './events.js';
import type { StepContext, Step } from './types.js';

/**
 * The committed form of a workflow: a tree of nodes, each with a path segment that is stable across
 * processes and restarts (it depends only on the definition). The executor joins segments with "/" to
 * get journal keys such as `parallel#2/charge`, `loop#3[4]/inc` or `child/step`.
 */

export type ConditionFn = (ctx: StepContext) => boolean | Promise<boolean>;
export type LoopConditionFn = (ctx: StepContext & { iterationCount: number }) => boolean | Promise<boolean>;
export type MapFn = (ctx: StepContext) => unknown;
export type SleepMsFn = (ctx: StepContext) => number | Promise<number>;
export type SleepUntilFn = (ctx: StepContext) => Date | number | Promise<Date | number>;

/** What can be placed where a step goes: a step, or a committed workflow (nested). */
export interface WorkflowNodeTarget {
  readonly component: 'WORKFLOW';
  readonly id: string;
  readonly description?: string;
  graph(): readonly GraphNode[];
}

export type StepNode = { type: 'step'; segment: string; step: Step };
export type NestedNode = { type: 'workflow'; segment: string; workflow: WorkflowNodeTarget & Record<string, any> };
export type UnitNode = StepNode | NestedNode;

export type GraphNode =
  | UnitNode
  | { type: 'parallel'; segment: string; children: UnitNode[] }
  | { type: 'branch'; segment: string; conditions: ConditionFn[]; children: UnitNode[] }
  | { type: 'loop'; segment: string; mode: 'dowhile' | 'dountil'; cond: LoopConditionFn; child: UnitNode }
  | { type: 'foreach'; segment: string; concurrency: number; child: UnitNode }
  | { type: 'map'; segment: string; fn: MapFn; description?: string; metadata?: Record<string, unknown> }
  | { type: 'sleep'; segment: string; duration: number | SleepMsFn }
  | { type: 'sleepUntil'; segment: string; date: Date | SleepUntilFn }
  /** `.waitForEvent`: the wait's row is at `segment`, the step that takes the event at its own id. */
  | { type: 'waitForEvent'; segment: string; wait: WaitSpec; child: UnitNode };

/** Mastra-compatible serialised step graph (what the dashboard draws). */
export type SerializedNode =
  | { type: 'step'; step: SerializedStep }
  | { type: 'parallel'; steps: SerializedNode[] }
  | { type: 'conditional'; steps: SerializedNode[]; serializedConditions: { id: string; fn: string }[] }
  | { type: 'loop'; step: SerializedStep; serializedCondition: { id: string; fn: string }; loopType: 'dowhile' | 'dountil' }
  | { type: 'foreach'; step: SerializedStep; opts: { concurrency: number } }
  | { type: 'map'; id: string; description?: string }
  | { type: 'sleep'; id: string; duration?: number; fn?: string }
  | { type: 'sleepUntil'; id: string; date?: string; fn?: string }
  | { type: 'waitForEvent'; id: string; event: string; events: string[]; step: SerializedStep; timeout?: number };

export interface SerializedStep {
  id: string;
  description?: string;
  /** Set for nested workflows and for steps made from an agent, a tool or a classifier. */
  component?: 'WORKFLOW' | 'AGENT' | 'TOOL' | 'CLASSIFIER';
  serializedStepFlow?: SerializedNode[];
}

function serializeUnit(n: UnitNode): SerializedStep {
  if (n.type === 'step') {
    const { id, description, component } = n.step;
    return { id, ...(description ? { description } : {}), ...(component !== 'STEP' ? { component } : {}) };
  }
  return {
    id: n.workflow.id,
    ...(n.workflow.description ? { description: n.workflow.description } : {}),
    component: 'WORKFLOW',
    serializedStepFlow: serializeGraph(n.workflow.graph()),
  };
}

export function serializeGraph(nodes: readonly GraphNode[]): SerializedNode[] {
  return nodes.map((n): SerializedNode => {
    switch (n.type) {
      case 'step':
      case 'workflow':
        return { type: 'step', step: serializeUnit(n) };
      case 'parallel':
        return { type: 'parallel', steps: n.children.map((c) => ({ type: 'step', step: serializeUnit(c) })) };
      case 'branch':
        return {
          type: 'conditional',
          steps: n.children.map((c) => ({ type: 'step', step: serializeUnit(c) })),
          serializedConditions: n.conditions.map((fn, i) => ({ id: `${n.children[i]?.segment}-condition`, fn: String(fn) })),
        };
      case 'loop':
        return {
          type: 'loop',
          step: serializeUnit(n.child),
          serializedCondition: { id: `${n.child.segment}-condition`, fn: String(n.cond) },
          loopType: n.mode,
        };
      case 'foreach':
        return { type: 'foreach', step: serializeUnit(n.child), opts: { concurrency: n.concurrency } };
      case 'map':
        return n.description === undefined ? { type: 'map', id: n.segment } : { type: 'map', id: n.segment, description: n.description };
      case 'sleep':
        return typeof n.duration === 'number'
          ? { type: 'sleep', id: n.segment, duration: n.duration }
          : { type: 'sleep', id: n.segment, fn: String(n.duration) };
      case 'sleepUntil':
        return n.date instanceof Date
          ? { type: 'sleepUntil', id: n.segment, date: n.date.toISOString() }
          : { type: 'sleepUntil', id: n.segment, fn: String(n.date) };
      case 'waitForEvent':
        return {
          type: 'waitForEvent',
          id: n.segment,
          event: n.wait.events[0]!,
          events: n.wait.events,
          step: serializeUnit(n.child),
          ...(n.wait.timeoutMs !== undefined ? { timeout: n.wait.timeoutMs } : {}),
        };
    }
  });
}

/** The id a unit node shows under in results and events. */
export function unitId(n: UnitNode): string {
  return n.type === 'step' ? n.step.id : n.workflow.id;
}

/**
 * The steps of a graph by id (Mastra's `workflow.steps`): every step or nested workflow placed in it,
 * inside parallel, branch, loop and foreach nodes too; a nested workflow's own steps stay its own.
 */
export function stepsOf(nodes: readonly GraphNode[]): Record<string, Step | NestedNode['workflow']> {
  const out: Record<string, Step | NestedNode['workflow']> = {};
  const add = (u: UnitNode) => {
    out[unitId(u)] = u.type === 'step' ? u.step : u.workflow;
  };
  for (const n of nodes) {
    if (n.type === 'step' || n.type === 'workflow') add(n);
    else if (n.type === 'parallel' || n.type === 'branch') n.children.forEach(add);
    else if (n.type === 'loop' || n.type === 'foreach' || n.type === 'waitForEvent') add(n.child);
  }
  return out;
}
