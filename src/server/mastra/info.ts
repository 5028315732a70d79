import type { GraphNode, SerializedNode, SerializedStep, UnitNode } from '../../define/graph.js';
import type { AnySchema } from '../../define/schema.js';
import type { AnyWorkflow } from '../../define/workflow.js';
import { schemaString } from './json-schema.js';

/**
 * A workflow described the way Mastra's `GET /api/workflows/:id` describes it (`WorkflowInfo` of
 * @mastra/core): the steps with their schemas as JSON Schema strings, every step including those of
 * nested workflows (`allSteps`, keyed `parent.child`), and the serialised step graph Studio draws.
 */
export interface MastraStepInfo {
  id: string;
  description?: string;
  inputSchema?: string;
  outputSchema?: string;
  resumeSchema?: string;
  suspendSchema?: string;
  stateSchema?: string;
  component?: string;
  metadata?: Record<string, unknown>;
  isWorkflow?: boolean;
}

export interface MastraWorkflowInfo {
  name: string;
  description?: string;
  metadata?: Record<string, unknown>;
  origin: 'code';
  steps: Record<string, MastraStepInfo>;
  allSteps: Record<string, MastraStepInfo>;
  stepGraph: SerializedNode[];
  inputSchema?: string;
  outputSchema?: string;
  stateSchema?: string;
  options: Record<string, unknown>;
  isProcessorWorkflow: false;
  stepCount?: number;
}

interface StepSchemas {
  id: string;
  description?: string;
  inputSchema?: AnySchema;
  outputSchema?: AnySchema;
  resumeSchema?: AnySchema;
  suspendSchema?: AnySchema;
  stateSchema?: AnySchema;
  metadata?: Record<string, unknown>;
  component?: string;
}

function unitSchemas(n: UnitNode): StepSchemas {
  return n.type === 'step' ? n.step : (n.workflow as unknown as StepSchemas);
}

/** The step-like nodes of a graph, in definition order (structural nodes contribute their children). */
function units(nodes: readonly GraphNode[]): UnitNode[] {
  const out: UnitNode[] = [];
  for (const n of nodes) {
    if (n.type === 'step' || n.type === 'workflow') out.push(n);
    else if (n.type === 'parallel' || n.type === 'branch') out.push(...n.children);
    else if (n.type === 'loop' || n.type === 'foreach') out.push(n.child);
  }
  return out;
}

function stepInfo(s: StepSchemas, withIsWorkflow: boolean): MastraStepInfo {
  const info: MastraStepInfo = { id: s.id };
  if (s.description) info.description = s.description;
  const put = (key: 'inputSchema' | 'outputSchema' | 'resumeSchema' | 'suspendSchema' | 'stateSchema') => {
    const v = schemaString(s[key]);
    if (v !== undefined) info[key] = v;
  };
  put('inputSchema');
  put('outputSchema');
  put('resumeSchema');
  put('suspendSchema');
  put('stateSchema');
  if (s.component === 'WORKFLOW') info.component = 'WORKFLOW';
  if (s.metadata) info.metadata = s.metadata;
  if (withIsWorkflow) info.isWorkflow = s.component === 'WORKFLOW';
  return info;
}

function collectAll(nodes: readonly GraphNode[], prefix: string, into: Record<string, MastraStepInfo>): void {
  for (const u of units(nodes)) {
    const s = unitSchemas(u);
    const key = prefix ? `${prefix}.${s.id}` : s.id;
    into[key] = stepInfo(s, true);
    if (u.type === 'workflow') collectAll(u.workflow.graph(), key, into);
  }
}

/** Which step ids can suspend (they declare a resume or suspend schema): Mastra marks them `canSuspend`. */
function suspendable(nodes: readonly GraphNode[], into = new Set<string>()): Set<string> {
  for (const u of units(nodes)) {
    const s = unitSchemas(u);
    if (u.type === 'step' && (s.resumeSchema || s.suspendSchema)) into.add(s.id);
    if (u.type === 'workflow') suspendable(u.workflow.graph(), into);
  }
  return into;
}

function markStep(step: SerializedStep, can: Set<string>): SerializedStep {
  const out: SerializedStep = { ...step };
  if (step.component !== 'WORKFLOW') (out as SerializedStep & { canSuspend: boolean }).canSuspend = can.has(step.id);
  if (step.serializedStepFlow) out.serializedStepFlow = markGraph(step.serializedStepFlow, can);
  return out;
}

function markGraph(graph: readonly SerializedNode[], can: Set<string>): SerializedNode[] {
  return graph.map((n) => {
    if ('step' in n) return { ...n, step: markStep(n.step, can) };
    if ('steps' in n) return { ...n, steps: markGraph(n.steps, can) } as SerializedNode;
    return n;
  });
}

/** The serialised graph with Mastra's `canSuspend` flag on each step (Studio shows "Suspend/resume"). */
export function mastraStepGraph(wf: AnyWorkflow): SerializedNode[] {
  return markGraph(wf.serializedStepGraph, suspendable(wf.graph()));
}

export function describeForMastra(wf: AnyWorkflow, partial = false): MastraWorkflowInfo {
  const base = {
    name: wf.id,
    ...(wf.description ? { description: wf.description } : {}),
    ...(wf.metadata ? { metadata: wf.metadata } : {}),
    origin: 'code' as const,
  };
  // Mastra reports these options; weft always emits step events.
  const options = { emitStepEvents: true, ...wf.options };
  const graph = wf.graph();
  if (partial) {
    return { ...base, steps: {}, allSteps: {}, stepGraph: mastraStepGraph(wf), options, isProcessorWorkflow: false, stepCount: units(graph).length };
  }
  const steps: Record<string, MastraStepInfo> = {};
  for (const u of units(graph)) {
    const s = unitSchemas(u);
    steps[s.id] = stepInfo(s, false);
  }
  const allSteps: Record<string, MastraStepInfo> = {};
  collectAll(graph, '', allSteps);
  const info: MastraWorkflowInfo = { ...base, steps, allSteps, stepGraph: mastraStepGraph(wf), options, isProcessorWorkflow: false };
  const input = schemaString(wf.inputSchema);
  if (input !== undefined) info.inputSchema = input;
  const output = schemaString(wf.outputSchema);
  if (output !== undefined) info.outputSchema = output;
  const state = schemaString(wf.stateSchema);
  if (state !== undefined) info.stateSchema = state;
  return info;
}
