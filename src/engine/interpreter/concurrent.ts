import type { GraphNode, UnitNode } from '../../define/graph.js';
import { unitId } from '../../define/graph.js';
import { fnContext } from './context.js';
import type { Exec } from './exec.js';
import { guarded } from './guard.js';
import { decide } from './journal-row.js';
import { combine, type Outcome, type Value } from './outcome.js';
import type { Scope, Walk } from './scope.js';

/** `.parallel([...])`: every unit on the same input; output `{ [id]: output }`; waits for all. */
export async function runParallel(walk: Walk, exec: Exec, units: UnitNode[], input: Value, scope: Scope, path: string): Promise<Outcome> {
  const inner = { ...scope, prefix: `${path}/` };
  const outcomes = await Promise.all(units.map((u) => walk.unit(exec, u, input, inner, inner.prefix + u.segment)));
  const worst = combine(outcomes);
  if (worst) return worst;
  const out: Record<string, unknown> = {};
  units.forEach((u, i) => {
    const o = outcomes[i];
    if (o?.t === 'ok') out[unitId(u)] = o.value.v;
  });
  return { t: 'ok', value: { v: out } };
}

/**
 * `.branch([[cond, step], ...])`: every unit whose condition holds runs, concurrently (Mastra's
 * behaviour). The choice is recorded, so a replay takes the same branches whatever the conditions say.
 */
export function runBranch(
  walk: Walk,
  exec: Exec,
  node: Extract<GraphNode, { type: 'branch' }>,
  input: Value,
  scope: Scope,
  path: string,
): Promise<Outcome> {
  return guarded(exec, async () => {
    const chosen = await decide(exec, path, async () => {
      const picks: number[] = [];
      for (let i = 0; i < node.conditions.length; i++) {
        const cond = node.conditions[i]!;
        if (await cond(fnContext(exec, scope, input.v, `${node.segment}-condition`))) picks.push(i);
      }
      return picks;
    });
    const units = chosen.map((i) => node.children[i]).filter((u): u is UnitNode => u !== undefined);
    if (units.length === 0) return { t: 'ok', value: { v: {} } };
    return runParallel(walk, exec, units, input, scope, path);
  });
}
