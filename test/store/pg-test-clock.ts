import type pg from 'pg';
import type { Store } from '../../src/store/types.js';

/**
 * The contract suite states times explicitly (`now` arguments) so it is deterministic, while the
 * PostgreSQL store grants and judges leases by the database's clock (weft_now_ms(), migration 0006).
 * For the suite, that clock is made to follow the caller's: after open, weft_now_ms() of the test's
 * schema reads a one-row table, set to the call's `now` before each call that involves a lease. The
 * store's SQL is unchanged; only the clock's source is. Tests of the real clock are in pg-clock.test.ts.
 */
type NowOf = (...args: never[]) => number | undefined;
const NOW_OF: Record<string, NowOf> = {
  createRun: ((run: { now: number }) => run.now) as NowOf,
  createRuns: ((runs: { now: number }[]) => runs[0]?.now) as NowOf,
  createRunsSettled: ((runs: { now: number }[]) => runs[0]?.now) as NowOf,
  claimRun: ((_id: string, opts: { now: number }) => opts.now) as NowOf,
  claimRuns: ((opts: { now: number }) => opts.now) as NowOf,
  claimUnreleased: ((opts: { now: number }) => opts.now) as NowOf,
  cancelRun: ((_id: string, now: number) => now) as NowOf,
  renewLeases: ((_o: string, _ids: string[], _ms: number, now: number) => now) as NowOf,
  listOwners: ((now: number) => now) as NowOf,
  resumeRun: ((req: { now: number }) => req.now) as NowOf,
  retryRun: ((req: { now: number }) => req.now) as NowOf,
  admitRun: ((req: { run: { now: number } }) => req.run.now) as NowOf,
};

export function followCallerClock(store: Store, admin: pg.Pool, schema: string): Store {
  const install = async (): Promise<void> => {
    await admin.query(`CREATE TABLE IF NOT EXISTS "${schema}".weft_test_clock (ms BIGINT NOT NULL)`);
    await admin.query(`INSERT INTO "${schema}".weft_test_clock SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM "${schema}".weft_test_clock)`);
    await admin.query(`CREATE OR REPLACE FUNCTION "${schema}".weft_now_ms() RETURNS bigint LANGUAGE sql STABLE
      AS $$ SELECT ms FROM "${schema}".weft_test_clock $$`);
  };
  const set = (now: number): Promise<unknown> => admin.query(`UPDATE "${schema}".weft_test_clock SET ms = $1`, [Math.round(now)]);
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (prop === 'open') {
        return async () => {
          await fn.call(target);
          await install();
        };
      }
      const nowOf = typeof prop === 'string' ? NOW_OF[prop] : undefined;
      if (!nowOf) return fn.bind(target);
      return async (...args: unknown[]) => {
        const now = nowOf(...(args as never[]));
        if (typeof now === 'number' && Number.isSafeInteger(Math.round(now))) await set(now);
        return fn.apply(target, args);
      };
    },
  });
}
