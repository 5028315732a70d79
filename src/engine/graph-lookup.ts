import type { GraphNode, UnitNode } from '../define/graph.js';
import type { AnyWorkflow } from '../define/workflow.js';
import type { Step } from '../define/types.js';

/** Finds the step definition a journal path points at (to validate resume data before storing it). */
export function findStepByPath(wf: AnyWorkflow, path: string): Step | null {
  const segments = path.split('/');
  let nodes: readonly GraphNode[] = wf.graph();
  let i = 0;
  while (i < segments.length) {
    const seg = segments[i]!.replace(/\[\d+\]$/, '');
    // The step after a `.waitForEvent` has its own path segment beside the wait's.
    const node = nodes.find((n) => n.segment === seg || (n.type === 'waitForEvent' && n.child.segment === seg));
    if (!node) return null;
    i++;
    let unit: UnitNode | undefined;
    switch (node.type) {
      case 'step':
      case 'workflow':
        unit = node;
        break;
      case 'parallel':
      case 'branch':
        unit = node.children.find((c) => c.segment === segments[i]);
        i++;
        break;
      case 'loop':
      case 'foreach':
        unit = node.child.segment === segments[i] ? node.child : undefined;
        i++;
        break;
      case 'waitForEvent':
        unit = node.child.segment === seg ? node.child : undefined;
        break;
      default:
        return null;
    }
    if (!unit) return null;
    if (unit.type === 'step') return i === segments.length ? unit.step : null;
    nodes = unit.workflow.graph();
  }
  return null;
}
