import type { GraphNode } from '../../define/graph.js';
import { fnContext } from './context.js';
import type { Exec } from './exec.js';
import { guarded } from './guard.js';
import { decide } from './journal-row.js';
import type { Outcome, Value } from './outcome.js';
import type { Scope, Walk } from './scope.js';

/**
 * `.dowhile` / `.dountil`: the body runs at `loop#N[i]/step`, then the condition is evaluated and
 * recorded at `loop#N[i]`, so a replay walks the same number of iterations. Only the last
 * `exec.loopHistory` iterations keep their values (see Exec.compact).
 */
export function runLoop(
  walk: Walk,
  exec: Exec,
  node: Extract<GraphNode, { type: 'loop' }>,
  input: Value,
  scope: Scope,
  path: string,
): Promise<Outcome> {
  return guarded(exec, async () => {
    let current = input;
    for (let i = 1; ; i++) {
      if (exec.aborted) return { t: 'canceled' };
      const iterPath = `${path}[${i}]`;
      const inner = { ...scope, prefix: `${iterPath}/` };
      const outcome = await walk.unit(exec, node.child, current, inner, inner.prefix + node.child.segment);
      if (outcome.t !== 'ok') return outcome;
      current = outcome.value;
      const value = current.v;
      const holds = await decide(exec, iterPath, async () =>
        Boolean(await node.cond(Object.assign(fnContext(exec, scope, value, `${node.segment}-condition`), { iterationCount: i }))),
      );
      const again = node.mode === 'dowhile' ? holds : !holds;
      // Iterations older than the history window keep their decisions but not their values: a long
      // loop's journal stays bounded, and a replay needs only the latest iteration's output. Done every
      // `loopHistory` iterations, in one write, so between the last N and 2N iterations keep values.
      const keep = exec.loopHistory;
      if (i % keep === 0 && i > keep) {
        const prefixes: string[] = [];
        for (let k = i - 2 * keep + 1; k <= i - keep; k++) if (k >= 1) prefixes.push(`${path}[${k}]/`);
        await exec.compact(prefixes);
      }
      if (!again) return { t: 'ok', value: current };
    }
  });
}
