import type { SerializedNode } from '../../define/graph.js';
import type { RunView, StepResult, WorkflowResult } from '../../define/run-types.js';
import type { WorkflowEvent } from '../../domain/workflow-events.js';
import { stepEntries } from '../../domain/step-entries.js';
import { InvalidArgumentError } from '../../errors.js';

/**
 * weft's runs and results in the shapes Mastra's server answers with (`WorkflowState` of
 * getWorkflowRunById, `WorkflowResult` of start-async / resume-async, the `snapshot` of a run
 * listing). The data are the same; the differences are naming and a few derived fields.
 */

/** A step result as Mastra shows it (weft's `attempts` is not part of Mastra's shape). */
function mastraStep(s: StepResult, withPayload: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (withPayload) out.payload = s.payload;
  out.startedAt = s.startedAt;
  out.status = s.status;
  for (const k of ['output', 'error', 'suspendPayload', 'suspendedAt', 'resumePayload', 'resumedAt', 'endedAt'] as const) {
    if (s[k] !== undefined) out[k] = s[k];
  }
  return out;
}

function mastraSteps(steps: Record<string, StepResult>, withPayload: boolean, nested = true): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [id, s] of stepEntries(steps)) {
    // Nested workflows' steps show as `child.step`; without nested workflows only top-level ids remain.
    if (!nested && id.includes('.')) continue;
    out[id] = mastraStep(s, withPayload);
  }
  return out;
}

/** Top-level step ids in the order they started (Mastra's `stepExecutionPath`). */
function executionPath(steps: Record<string, StepResult>): string[] {
  return stepEntries(steps)
    .filter(([id]) => !id.includes('.'))
    .sort((a, b) => a[1].startedAt - b[1].startedAt)
    .map(([id]) => id);
}

/** Each step id's position in the graph (`[i]`, or `[i, j]` inside a parallel or a branch). */
function graphPositions(graph: readonly SerializedNode[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  graph.forEach((n, i) => {
    if ('step' in n) out.set(n.step.id, [i]);
    else if ('steps' in n) n.steps.forEach((c, j) => 'step' in c && out.set(c.step.id, [i, j]));
  });
  return out;
}

/** Mastra's `suspendedPaths` / `activeStepsPath` / `waitingPaths`: step id -> graph position. */
function pathsWith(steps: Record<string, StepResult>, graph: readonly SerializedNode[], status: StepResult['status']): Record<string, number[]> {
  const positions = graphPositions(graph);
  const out: Record<string, number[]> = {};
  for (const [id, s] of Object.entries(steps)) {
    const top = id.split('.')[0]!;
    if (s.status === status && positions.has(top)) out[top] = positions.get(top)!;
  }
  return out;
}

/** Mastra's `activePaths`: the graph position of the step the run reached last. */
function lastPosition(steps: Record<string, StepResult>, graph: readonly SerializedNode[]): number[] {
  const last = executionPath(steps).at(-1);
  return (last !== undefined ? graphPositions(graph).get(last) : undefined) ?? [];
}

export const RUN_FIELDS = ['result', 'error', 'payload', 'steps', 'activeStepsPath', 'serializedStepGraph'] as const;
export type RunField = (typeof RUN_FIELDS)[number];

/** Parses `?fields=result,steps` (Mastra's list of optional fields); unknown names are an error. */
export function parseFields(value: string | undefined): RunField[] | undefined {
  if (!value) return undefined;
  const list = value.split(',').map((f) => f.trim());
  for (const f of list) {
    if (!(RUN_FIELDS as readonly string[]).includes(f)) {
      throw new InvalidArgumentError(`Invalid field name "${f}". Available fields: ${RUN_FIELDS.join(', ')}`);
    }
  }
  return list as RunField[];
}

/**
 * Steps that started but have not finished, from the run's live events. weft stores a step when it
 * ends (one journal row per step), so a stored view has no `running` steps; Mastra's shows them, and
 * Studio draws them as running when it reopens a run. Only events this server saw are known.
 */
export function runningSteps(events: readonly WorkflowEvent[]): Record<string, StepResult> {
  const running: Record<string, StepResult> = {};
  for (const e of events) {
    const id = typeof e.payload.id === 'string' ? e.payload.id : undefined;
    if (e.type === 'workflow-start') for (const k of Object.keys(running)) delete running[k];
    if (!id) continue;
    if (e.type === 'workflow-step-start') running[id] = { status: 'running', payload: e.payload.payload, startedAt: Number(e.payload.startedAt), attempts: 1 };
    else if (e.type.startsWith('workflow-step-') && e.type !== 'workflow-step-output' && e.type !== 'workflow-step-progress') delete running[id];
  }
  return running;
}

/** GET /workflows/:id/runs/:runId: the run's metadata, always, and its state (all of it, or `fields`). */
export function mastraRun(view: RunView, opts: { fields?: RunField[]; withNestedWorkflows?: boolean; running?: Record<string, StepResult>; graph?: SerializedNode[] } = {}): Record<string, unknown> {
  const graph = opts.graph ?? view.serializedStepGraph;
  if (opts.running && (view.status === 'running' || view.status === 'pending')) {
    const steps = { ...view.steps };
    for (const [id, s] of Object.entries(opts.running)) if (!steps[id]) steps[id] = s;
    view = { ...view, steps };
  }
  const out: Record<string, unknown> = {
    runId: view.runId,
    workflowName: view.workflowName,
    ...(view.resourceId !== undefined ? { resourceId: view.resourceId } : {}),
    createdAt: view.createdAt.toISOString(),
    updatedAt: view.updatedAt.toISOString(),
    status: view.status,
  };
  const want = (f: RunField) => !opts.fields || opts.fields.includes(f);
  if (want('result') && view.status === 'success') out.result = view.result;
  if (want('error') && view.error !== undefined) out.error = view.error;
  if (want('payload')) out.payload = view.payload;
  if (want('steps')) out.steps = mastraSteps(view.steps, true, opts.withNestedWorkflows !== false);
  if (want('activeStepsPath')) out.activeStepsPath = pathsWith(view.steps, graph, 'running');
  if (want('serializedStepGraph')) out.serializedStepGraph = graph;
  if (!opts.fields) {
    out.suspendedPaths = pathsWith(view.steps, graph, 'suspended');
    out.resumeLabels = {};
    out.waitingPaths = pathsWith(view.steps, graph, 'waiting');
  }
  return out;
}

/** The stored state of a run as Mastra's run listing carries it (`WorkflowRunState`). */
export function mastraSnapshot(view: RunView, graph: SerializedNode[] = view.serializedStepGraph): Record<string, unknown> {
  const snapshot: Record<string, unknown> = {
    runId: view.runId,
    status: view.status,
    value: {},
    context: { input: view.payload, ...mastraSteps(view.steps, true) },
    activePaths: lastPosition(view.steps, graph),
    stepExecutionPath: executionPath(view.steps),
    activeStepsPath: pathsWith(view.steps, graph, 'running'),
    serializedStepGraph: graph,
    suspendedPaths: pathsWith(view.steps, graph, 'suspended'),
    waitingPaths: pathsWith(view.steps, graph, 'waiting'),
    resumeLabels: {},
    requestContext: view.requestContext,
    timestamp: view.updatedAt.getTime(),
  };
  if (view.status === 'success') snapshot.result = view.result;
  if (view.error !== undefined) snapshot.error = view.error;
  if (Object.keys(view.state).length > 0) snapshot.value = view.state;
  return snapshot;
}

/** A run in GET /workflows/:id/runs. */
export function mastraRunListItem(view: RunView, graph?: SerializedNode[]): Record<string, unknown> {
  return {
    workflowName: view.workflowName,
    runId: view.runId,
    snapshot: mastraSnapshot(view, graph),
    createdAt: view.createdAt.toISOString(),
    updatedAt: view.updatedAt.toISOString(),
    ...(view.resourceId !== undefined ? { resourceId: view.resourceId } : {}),
  };
}

/**
 * The result of start-async / resume-async as Mastra returns it: `steps` starts with the run's
 * `input`, step entries carry no payload, and `stepExecutionPath` lists the steps in order.
 */
export function mastraResult(r: WorkflowResult): Record<string, unknown> {
  const out: Record<string, unknown> = {
    status: r.status,
    steps: { input: r.input, ...mastraSteps(r.steps, false) },
    input: r.input,
    stepExecutionPath: executionPath(r.steps),
  };
  if (r.status === 'success') out.result = r.result;
  if (r.status === 'failed') out.error = r.error;
  if (r.status === 'suspended') {
    out.suspended = r.suspended;
    out.suspendPayload = r.suspendPayload;
  }
  if (r.state !== undefined) out.state = r.state;
  out.runId = r.runId;
  if (r.traceId !== undefined) out.traceId = r.traceId;
  return out;
}
