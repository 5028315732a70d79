import type { GraphNode } from '../define/graph.js';
import type { AnySchema } from '../define/schema.js';
import type { AnyWorkflow } from '../define/workflow.js';

/** What the registered workflows declare about one event name. */
export interface EventDeclaration {
  /** Data schemas of the waits for it (their `schema`, or the step's resumeSchema). */
  schemas: AnySchema[];
  /** Workflows it starts. */
  triggers: { wf: AnyWorkflow; filter?: (data: any) => boolean; input?: (data: any) => unknown }[];
}

/**
 * The event names a set of workflows knows (waits anywhere in their graphs, nested workflows included,
 * and triggers), so a send can refuse an unknown name and check the data before anything is stored.
 */
export function eventCatalog(workflows: Iterable<AnyWorkflow>): Map<string, EventDeclaration> {
  const out = new Map<string, EventDeclaration>();
  const decl = (name: string) => {
    let d = out.get(name);
    if (!d) out.set(name, (d = { schemas: [], triggers: [] }));
    return d;
  };
  const seen = new Set<unknown>();
  const walk = (nodes: readonly GraphNode[]) => {
    for (const n of nodes) {
      const units = n.type === 'parallel' || n.type === 'branch' ? n.children : n.type === 'loop' || n.type === 'foreach' || n.type === 'waitForEvent' ? [n.child] : n.type === 'step' || n.type === 'workflow' ? [n] : [];
      if (n.type === 'waitForEvent') {
        const schema = n.wait.schema ?? (n.child.type === 'step' ? n.child.step.resumeSchema : undefined);
        for (const e of n.wait.events) {
          const d = decl(e);
          if (schema && !d.schemas.includes(schema)) d.schemas.push(schema);
        }
      }
      for (const u of units) {
        if (u.type === 'workflow' && !seen.has(u.workflow)) {
          seen.add(u.workflow);
          walk(u.workflow.graph());
        }
      }
    }
  };
  for (const wf of workflows) {
    for (const t of wf.triggers) decl(t.event).triggers.push({ wf, ...(t.filter ? { filter: t.filter } : {}), ...(t.input ? { input: t.input } : {}) });
    if (!seen.has(wf)) {
      seen.add(wf);
      walk(wf.graph());
    }
  }
  return out;
}
