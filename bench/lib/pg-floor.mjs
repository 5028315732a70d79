// The commit floor of the PostgreSQL server under test: one autocommit INSERT of a small row (one WAL
// flush). Scenario a samples it between its runs, so "per step" is read against the floor under the
// same conditions: on the bench machine the time of one commit drifts by 2x within a minute, and a
// floor measured after the runs compared each engine with a different disk.
import pg from 'pg';
import { summarize, now } from './stats.mjs';

/** A connection that times single autocommit inserts on demand; `close()` drops its table. */
export async function openInsertFloor(connectionString) {
  const c = new pg.Client({ connectionString });
  await c.connect();
  await c.query('CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, v text NOT NULL)');
  const insert = () => c.query({ name: 'floor', text: 'INSERT INTO bench_floor (v) VALUES ($1)', values: ['x'] });
  for (let i = 0; i < 100; i++) await insert();
  const lat = [];
  return {
    /** Times `n` inserts one after another. */
    async sample(n = 1) {
      for (let i = 0; i < n; i++) {
        const t = now();
        await insert();
        lat.push(now() - t);
      }
    },
    summary() {
      const r = summarize(Float64Array.from(lat));
      return { insertP50Us: r.p50 * 1000, insertP99Us: r.p99 * 1000, insertSamples: lat.length };
    },
    async close() {
      await c.query('DROP TABLE IF EXISTS bench_floor').catch(() => {});
      await c.end();
    },
  };
}
