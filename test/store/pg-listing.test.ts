import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresStore } from '../../src/store/postgres/postgres-store.js';
import { PG_URL, backendPid, blockedBy, outcome, schemaFactory, waitUntil } from './pg-helpers.js';
import { newRun } from './contract-helpers.js';

/** A listing takes one connection: it must work whenever a start would. */
const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
const schemas = schemaFactory('lst');
afterAll(async () => {
  await schemas.dropAll(admin);
  await admin.end();
});

describe('postgres: listRuns under a connection shortage', () => {
  it('checks out one connection per listing', async () => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    const store = postgresStore({ pool, schema: schemas.next() });
    try {
      await store.open();
      await store.createRuns(Array.from({ length: 5 }, () => newRun({ resourceId: 'u1' })));
      let acquired = 0;
      pool.on('acquire', () => acquired++);
      for (const filter of [{}, { resourceId: 'u1' }, { page: 3, perPage: 2 }]) {
        acquired = 0;
        const res = await store.listRuns(filter);
        expect(res.total).toBe(5);
        expect(acquired).toBe(1);
      }
      // Past the end: no runs, still the total.
      expect(await store.listRuns({ page: 10, perPage: 2 })).toEqual({ runs: [], total: 5 });
    } finally {
      await store.close();
      await pool.end();
    }
  });

  it('with one of two connections taken, a listing waits for a slow statement instead of failing', async () => {
    const schema = schemas.next();
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2, connectionTimeoutMillis: 300 });
    pool.on('error', () => {});
    const store = postgresStore({ pool, schema });
    await store.open();
    await store.createRun(newRun());
    // The application holds one of the pool's two connections.
    const held = await pool.connect();
    // Another session makes the runs table slow to read (an ACCESS EXCLUSIVE lock, as a migration takes).
    const locker = await admin.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${schema}".runs IN ACCESS EXCLUSIVE MODE`);
      const pid = await backendPid(locker);
      const listing = outcome(store.listRuns({}));
      await waitUntil(async () => (await blockedBy(admin, pid)) > 0, 'the listing to wait on the lock');
      // Blocked on the database with the one free connection; nothing of it queues for a second one
      // (which, with the pool full, would time out and fail the listing).
      expect(pool.waitingCount).toBe(0);
      await locker.query('COMMIT');
      const res = await listing;
      expect(res.ok ? res.value.total : res.error).toBe(1);
    } finally {
      await locker.query('ROLLBACK').catch(() => {});
      locker.release();
      held.release();
      await store.close();
      await pool.end();
    }
  });
});
