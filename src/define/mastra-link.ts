import { InvalidArgumentError } from '../errors.js';

/**
 * The Mastra instance a workflow was registered with. `new Mastra({ workflows })` calls the workflow's
 * `__registerMastra(mastra)`; weft keeps the instance (nothing else of Mastra's) so the steps and
 * lifecycle callbacks of the workflow's runs get it as `mastra`, as in Mastra (`mastra.getAgent(...)`).
 * A WeakMap, not a field: the link is process-local and never part of what a run stores.
 */
const links = new WeakMap<object, object>();

export function linkMastra(workflow: object, mastra: unknown): void {
  if (mastra === null || typeof mastra !== 'object') {
    throw new InvalidArgumentError('__registerMastra needs the Mastra instance (an object)');
  }
  links.set(workflow, mastra);
}

/** The registered Mastra instance, or undefined (a workflow used without Mastra). */
export function mastraOf(workflow: object): any {
  return links.get(workflow);
}
