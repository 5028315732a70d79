import { InvalidArgumentError } from '../errors.js';

/**
 * The Mastra instance a workflow was registered with. `new Mastra({ workflows })` calls the workflow's
 * `__registerMastra(mastra)`; weft keeps the instance (nothing else of Mastra's) so the steps and
 * lifecycle callbacks of the workflow's runs get it as `mastra`, as in Mastra (`mastra.getAgent(...)`).
 * A WeakMap, not a field: the link is process-local and never part of what a run stores.
 */
const links = new WeakMap<object, object>();

/**
 * Workflows registered while they had no steps yet. Mastra lets a workflow be registered first and built
 * after (`new Mastra({ workflows: { wf } })`, then `wf.then(...).commit()`), and its registration commits
 * it; weft refuses to commit an empty workflow, so that one commit leaves such a workflow open instead.
 * Running it still needs steps and a commit (Mastra's messages at createRun).
 */
const awaiting = new WeakSet<object>();

export function linkMastra(workflow: object, mastra: unknown, empty: boolean): void {
  if (mastra === null || typeof mastra !== 'object') {
    throw new InvalidArgumentError('__registerMastra needs the Mastra instance (an object)');
  }
  links.set(workflow, mastra);
  if (empty) awaiting.add(workflow);
}

/** True once for a workflow registered empty: the commit Mastra's registration makes is a no-op. */
export function awaitsSteps(workflow: object): boolean {
  return awaiting.delete(workflow);
}

export function checkPrimitives(primitives: unknown): void {
  if (primitives !== undefined && (primitives === null || typeof primitives !== 'object')) {
    throw new InvalidArgumentError('__registerPrimitives needs an object ({ logger?, storage? })');
  }
}

export function checkLogger(logger: unknown): void {
  if (logger !== undefined && (logger === null || typeof logger !== 'object')) {
    throw new InvalidArgumentError('__setLogger needs a logger object');
  }
}

/** The registered Mastra instance, or undefined (a workflow used without Mastra). */
export function mastraOf(workflow: object): any {
  return links.get(workflow);
}
