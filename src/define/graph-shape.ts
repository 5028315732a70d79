import type { GraphNode, UnitNode } from './graph.js';
import { jsonSchemaOf } from './schema-json.js';
import type { AnyWorkflow } from './workflow.js';

/**
 * The parts of a workflow's graph a run's journal depends on, flattened in walk order: each node's
 * journal path (iterations written `[]`: `loop#3[]/inc`), its kind, the step or workflow id, and the
 * JSON Schema of what it takes and returns. Two definitions with the same shape walk a journal the same
 * way, whatever their step code does, so this is what a run's graph fingerprint is computed from.
 */
export type ShapeKind = GraphNode['type'];

export interface ShapeNode {
  path: string;
  kind: ShapeKind;
  /** The step or nested workflow id (units only). */
  id?: string;
  /** JSON Schemas of the unit's input and output, when the schema library can describe them. */
  input?: unknown;
  output?: unknown;
}

export interface GraphShape {
  id: string;
  version: string | null;
  input?: unknown;
  output?: unknown;
  nodes: ShapeNode[];
}

function addUnit(out: ShapeNode[], path: string, u: UnitNode): void {
  if (u.type === 'step') {
    out.push({ path, kind: 'step', id: u.step.id, input: jsonSchemaOf(u.step.inputSchema), output: jsonSchemaOf(u.step.outputSchema) });
    return;
  }
  const wf = u.workflow as AnyWorkflow;
  out.push({ path, kind: 'workflow', id: wf.id, input: jsonSchemaOf(wf.inputSchema), output: jsonSchemaOf(wf.outputSchema) });
  addNodes(out, `${path}/`, wf.graph());
}

function addNodes(out: ShapeNode[], prefix: string, nodes: readonly GraphNode[]): void {
  for (const n of nodes) {
    const path = prefix + n.segment;
    switch (n.type) {
      case 'step':
      case 'workflow':
        addUnit(out, path, n);
        break;
      case 'parallel':
      case 'branch':
        out.push({ path, kind: n.type });
        for (const c of n.children) addUnit(out, `${path}/${c.segment}`, c);
        break;
      case 'loop':
      case 'foreach':
        out.push({ path, kind: n.type });
        addUnit(out, `${path}[]/${n.child.segment}`, n.child);
        break;
      case 'waitForEvent':
        // The wait's row, then the step that takes the event, at its own segment beside it.
        out.push({ path, kind: n.type });
        addUnit(out, prefix + n.child.segment, n.child);
        break;
      default:
        out.push({ path, kind: n.type });
    }
  }
}

const cache = new WeakMap<AnyWorkflow, GraphShape>();

/** A committed workflow's shape; computed once per workflow (a committed graph never changes). */
export function graphShape(wf: AnyWorkflow): GraphShape {
  let shape = cache.get(wf);
  if (!shape) {
    const nodes: ShapeNode[] = [];
    addNodes(nodes, '', wf.graph());
    shape = { id: wf.id, version: wf.version ?? null, input: jsonSchemaOf(wf.inputSchema), output: jsonSchemaOf(wf.outputSchema), nodes };
    cache.set(wf, shape);
  }
  return shape;
}
