let readChanges: (ctx: RequestContext) => number;

/**
 * A Map-like bag of per-run values (user id, tenant, feature flags). It is persisted with the run as
 * JSON, so a resumed or recovered run sees the same values; store JSON values only.
 */
export class RequestContext<T extends Record<string, unknown> = Record<string, unknown>> {
  private readonly map: Map<string, unknown>;
  /** Bumped by every change, so the engine persists the context only after a step changed it. */
  #changes = 0;

  static {
    readChanges = (ctx) => ctx.#changes;
  }

  constructor(entries?: Iterable<readonly [string, unknown]> | Record<string, unknown> | null) {
    if (!entries) this.map = new Map();
    else if (Symbol.iterator in Object(entries)) this.map = new Map(entries as Iterable<readonly [string, unknown]>);
    else this.map = new Map(Object.entries(entries as Record<string, unknown>));
  }

  get<K extends keyof T & string>(key: K): T[K] | undefined {
    return this.map.get(key) as T[K] | undefined;
  }
  set<K extends keyof T & string>(key: K, value: T[K]): this {
    this.map.set(key, value);
    this.#changes++;
    return this;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  delete(key: string): boolean {
    this.#changes++;
    return this.map.delete(key);
  }
  clear(): void {
    this.#changes++;
    this.map.clear();
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
  values(): IterableIterator<unknown> {
    return this.map.values();
  }
  entries(): IterableIterator<[string, unknown]> {
    return this.map.entries();
  }
  forEach(fn: (value: unknown, key: string) => void): void {
    this.map.forEach((v, k) => fn(v, k));
  }
  get size(): number {
    return this.map.size;
  }
  [Symbol.iterator](): IterableIterator<[string, unknown]> {
    return this.map.entries();
  }
  toJSON(): Record<string, unknown> {
    return Object.fromEntries(this.map);
  }
}

/** How many changes (set, delete, clear) were made to a context since it was created. */
export function contextChanges(ctx: RequestContext): number {
  return readChanges(ctx);
}
