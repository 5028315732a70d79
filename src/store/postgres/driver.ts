import type pg from 'pg';
import { StoreError } from '../../errors.js';

/**
 * The `pg` driver, loaded on first use. Importing 'weft' must not pay for it (about a third of the
 * package's import time) when a program only uses SQLite or memory: the PostgreSQL store loads it when
 * it opens, and everything that touches `pg` values runs after that.
 */
let driver: typeof pg | undefined;
let loading: Promise<typeof pg> | undefined;

export async function loadPg(): Promise<typeof pg> {
  if (driver) return driver;
  loading ??= import('pg').then(
    (m) => (driver = (m as { default?: typeof pg }).default ?? (m as unknown as typeof pg)),
    (err: unknown) => {
      loading = undefined;
      throw new StoreError("the PostgreSQL store needs the 'pg' package, which could not be loaded", { cause: err, code: 'STORE_CONFIG' });
    },
  );
  return loading;
}

/** The driver once loadPg() resolved; callers run only after the store opened. */
export function pgDriver(): typeof pg {
  if (!driver) throw new StoreError("the 'pg' driver was used before the PostgreSQL store opened", { code: 'STORE_CLOSED' });
  return driver;
}
