// The commit floor of the PostgreSQL server under test: one autocommit INSERT of a small row (one WAL
// flush), measured in the same process right after scenario a, so "per step" can be read against it.
import pg from 'pg';
import { summarize, now } from './stats.mjs';

export async function insertFloor(connectionString, n = 2000) {
  const c = new pg.Client({ connectionString });
  await c.connect();
  try {
    await c.query('CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, v text NOT NULL)');
    for (let i = 0; i < 100; i++) await c.query({ name: 'floor', text: 'INSERT INTO bench_floor (v) VALUES ($1)', values: ['x'] });
    const lat = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t = now();
      await c.query({ name: 'floor', text: 'INSERT INTO bench_floor (v) VALUES ($1)', values: ['x'] });
      lat[i] = now() - t;
    }
    const r = summarize(lat);
    return { insertP50Us: r.p50 * 1000, insertP99Us: r.p99 * 1000 };
  } finally {
    await c.query('DROP TABLE IF EXISTS bench_floor').catch(() => {});
    await c.end();
  }
}
