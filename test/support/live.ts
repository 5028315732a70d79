/**
 * A stand-in for an object that a hook creates later (a test file's server, the current test's page).
 * Tests and module-level helpers name it once, at the top of the file, and every property read goes to
 * the object of the moment; methods are bound to it. Reading it while there is none throws, naming
 * what is missing, instead of failing later on `undefined`.
 */
export function live<T extends object>(current: () => T | undefined, what: string): T {
  const target = (): T => {
    const value = current();
    if (value === undefined) throw new Error(`${what} is not there: it exists only while the hooks that create it have run`);
    return value;
  };
  return new Proxy({} as T, {
    get(_, prop) {
      const obj = target();
      const value: unknown = Reflect.get(obj, prop, obj);
      return typeof value === 'function' ? value.bind(obj) : value;
    },
    has: (_, prop) => Reflect.has(target(), prop),
  });
}
