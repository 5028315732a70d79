import pg from 'pg';
import { waitUntil as sharedWaitUntil } from '../support/wait.js';

/** Shared set-up for the PostgreSQL store tests outside the contract suite. */
export const PG_URL = process.env.WEFT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Schemas made by one test file share a prefix, so the file can drop all of them at the end. */
export function schemaFactory(tag: string): { next: () => string; dropAll: (admin: pg.Pool) => Promise<void> } {
  const prefix = `weft_${tag}${process.pid}_${Date.now().toString(36)}_`;
  let n = 0;
  return {
    next: () => `${prefix}${++n}`,
    dropAll: async (admin) => {
      const { rows } = await admin.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, [prefix]);
      for (const r of rows) await admin.query(`DROP SCHEMA IF EXISTS "${r.nspname}" CASCADE`);
    },
  };
}

/** The shared waitUntil (support/wait.mjs) with this file's older argument order: what, then the timeout. */
export function waitUntil<T>(probe: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  return sharedWaitUntil(probe, { message: what, timeout: timeoutMs });
}

/** How many backends are waiting on a lock held by `pid` (a database signal, not a sleep). */
export async function blockedBy(admin: pg.Pool, pid: number): Promise<number> {
  const { rows } = await admin.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [pid]);
  return rows[0]?.n ?? 0;
}

export async function backendPid(c: pg.PoolClient): Promise<number> {
  return (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

/** Settles a promise into a value or an error, so a test can assert on either. */
export async function outcome<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}
