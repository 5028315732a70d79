import type { GraphNode, UnitNode } from '../define/graph.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { jsonSchemaOf } from '../define/schema-json.js';

import type { StepSchemaInfo } from '../wire/types.js';

export type { StepSchemaInfo };
export { jsonSchemaOf };

function addUnit(out: Record<string, StepSchemaInfo>, prefix: string, node: UnitNode): void {
  if (node.type === 'workflow') {
    addNodes(out, `${prefix}${node.workflow.id}.`, node.workflow.graph());
    return;
  }
  const { step } = node;
  const info: StepSchemaInfo = { id: step.id };
  if (step.description) info.description = step.description;
  const resume = jsonSchemaOf(step.resumeSchema);
  if (resume) info.resumeSchema = resume;
  const suspend = jsonSchemaOf(step.suspendSchema);
  if (suspend) info.suspendSchema = suspend;
  out[`${prefix}${step.id}`] = info;
}

function addNodes(out: Record<string, StepSchemaInfo>, prefix: string, nodes: readonly GraphNode[]): void {
  for (const n of nodes) {
    if (n.type === 'step' || n.type === 'workflow') addUnit(out, prefix, n);
    else if (n.type === 'parallel' || n.type === 'branch') for (const c of n.children) addUnit(out, prefix, c);
    else if (n.type === 'loop' || n.type === 'foreach') addUnit(out, prefix, n.child);
  }
}

const cache = new WeakMap<AnyWorkflow, Record<string, StepSchemaInfo>>();

/**
 * The steps of a workflow keyed like a result's `steps` and `suspended` paths (`step`, or
 * `nestedWorkflowId.step`), each with its schemas. Computed once per workflow: definitions are frozen.
 */
export function stepSchemas(wf: AnyWorkflow): Record<string, StepSchemaInfo> {
  let out = cache.get(wf);
  if (!out) {
    out = {};
    addNodes(out, '', wf.graph());
    cache.set(wf, out);
  }
  return out;
}
