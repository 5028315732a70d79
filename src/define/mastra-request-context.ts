import type { RequestContext } from './request-context.js';

/**
 * The run's RequestContext as Mastra's agents and tools use it. Mastra's `RequestContext` has more
 * than weft's Map-like one (`getRaw`/`setRaw`/`hasRaw`/`deleteRaw`, an `all` getter,
 * `serializeForSpan()`, and `size()` as a method where weft has a `size` getter), and Mastra's Agent
 * calls those. This view forwards every call to the run's own context, so what an agent or a tool
 * writes is the run's (and is persisted with it, like any step's writes).
 */
export class MastraRequestContextView {
  readonly #rc: RequestContext;

  constructor(rc: RequestContext) {
    this.#rc = rc;
  }

  get(key: string): any {
    return this.#rc.get(key);
  }
  getRaw(key: string): unknown {
    return this.#rc.get(key);
  }
  set(key: string, value: unknown): void {
    this.#rc.set(key, value);
  }
  setRaw(key: string, value: unknown): void {
    this.#rc.set(key, value);
  }
  has(key: string): boolean {
    return this.#rc.has(key);
  }
  hasRaw(key: string): boolean {
    return this.#rc.has(key);
  }
  delete(key: string): boolean {
    return this.#rc.delete(key);
  }
  deleteRaw(key: string): boolean {
    return this.#rc.delete(key);
  }
  clear(): void {
    this.#rc.clear();
  }
  keys(): IterableIterator<string> {
    return this.#rc.keys();
  }
  values(): IterableIterator<unknown> {
    return this.#rc.values();
  }
  entries(): IterableIterator<[string, unknown]> {
    return this.#rc.entries();
  }
  size(): number {
    return this.#rc.size;
  }
  forEach(fn: (value: unknown, key: string, map: Map<string, unknown>) => void): void {
    const map = new Map(this.#rc.entries());
    map.forEach((v, k) => fn(v, k, map));
  }
  [Symbol.iterator](): IterableIterator<[string, unknown]> {
    return this.#rc.entries();
  }
  toJSON(): Record<string, unknown> {
    return this.#rc.toJSON();
  }
  serializeForSpan(): Record<string, unknown> {
    return this.#rc.toJSON();
  }
  get all(): Record<string, any> {
    return this.#rc.toJSON();
  }
}

/** One view per run context, so an agent and its tools see the same object. */
const views = new WeakMap<RequestContext, MastraRequestContextView>();

export function mastraRequestContext(rc: RequestContext): MastraRequestContextView {
  let view = views.get(rc);
  if (!view) views.set(rc, (view = new MastraRequestContextView(rc)));
  return view;
}
