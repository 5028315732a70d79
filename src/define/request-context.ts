/**
 * A Map-like bag of per-run values (user id, tenant, feature flags). It is persisted with the run as
 * JSON, so a resumed or recovered run sees the same values; store JSON values only.
 */
export class RequestContext<T extends Record<string, unknown> = Record<string, unknown>> {
  private readonly map: Map<string, unknown>;

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
    return this;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  delete(key: string): boolean {
    return this.map.delete(key);
  }
  clear(): void {
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
