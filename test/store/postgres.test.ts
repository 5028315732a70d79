import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { migratePostgres } from '../../src/store/postgres/migrations.js';
import { postgresStore } from '../../src/store/postgres/postgres-store.js';
import { loadMigrations } from '../../src/store/shared/migration-files.js';
import { storeContract } from './contract.js';
import { LEASE_MS, T0, entry, newRun } from './contract-helpers.js';
import { waitUntil } from '../support/wait.js';
import { followCallerClock } from './pg-test-clock.js';

const URL = process.env.WEFT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Every schema this file creates starts with this prefix and is dropped when the file ends. */
const PREFIX = `weft_t${process.pid}_${Date.now().toString(36)}_`;
let n = 0;
const schemaName = (): string => `${PREFIX}${++n}`;

const admin = new pg.Pool({ connectionString: URL, max: 2 });

/** Polls `probe` until it holds (or fails the test after `timeoutMs`). */
async function waitFor(probe: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  await waitUntil(probe, { timeout: timeoutMs, message: what });
}

async function dropSchema(schema: string): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

afterAll(async () => {
  const { rows } = await admin.query<{ nspname: string }>(
    `SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`,
    [PREFIX],
  );
  for (const r of rows) await dropSchema(r.nspname);
  await admin.end();
});

storeContract('postgres', async () => {
  const schema = schemaName();
  return { store: followCallerClock(postgresStore({ connectionString: URL, schema }), admin, schema), cleanup: () => dropSchema(schema) };
});

describe('postgres: a store on a caller-owned pool', () => {
  const pool = new pg.Pool({ connectionString: URL, max: 4 });
  afterAll(() => pool.end());

  storeContract('postgres (shared pool)', async () => {
    const schema = schemaName();
    return { store: followCallerClock(postgresStore({ pool, schema }), admin, schema), cleanup: () => dropSchema(schema) };
  });

  it('does not end the caller pool on close', async () => {
    const schema = schemaName();
    const store = postgresStore({ pool, schema });
    await store.open();
    await store.close();
    const { rows } = await pool.query('SELECT 1 AS one');
    expect(rows[0]).toEqual({ one: 1 });
  });
});

async function schemaDump(schema: string): Promise<unknown> {
  const columns = await admin.query(
    `SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity, ordinal_position
     FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
    [schema],
  );
  const indexes = await admin.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname`,
    [schema],
  );
  const constraints = await admin.query(
    `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(c.oid) AS def
     FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 ORDER BY conname`,
    [schema],
  );
  const strip = (v: unknown): unknown => JSON.parse(JSON.stringify(v).split(`${schema}.`).join('S.').split(`"${schema}"`).join('S'));
  return strip({ columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows });
}

describe('postgres store', () => {
  beforeAll(async () => {
    await admin.query('SELECT 1');
  });

  it('keeps everything inside its own schema', async () => {
    const a = schemaName();
    const b = schemaName();
    const sa = postgresStore({ connectionString: URL, schema: a });
    const sb = postgresStore({ connectionString: URL, schema: b });
    await Promise.all([sa.open(), sb.open()]);
    const { run } = await sa.createRun(newRun({ runId: 'only-in-a' }));
    await sa.write([{ type: 'journal', epoch: run.leaseEpoch, entry: entry('only-in-a', 's') }]);
    expect(await sb.loadRun('only-in-a')).toBeNull();
    expect((await sb.listRuns({})).total).toBe(0);
    expect((await sa.listRuns({})).total).toBe(1);
    const { rows } = await admin.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [a],
    );
    expect(rows.map((r) => r.table_name)).toEqual(['blobs', 'event_deliveries', 'event_waits', 'events', 'flow_keys', 'flow_runs', 'journal', 'journal_history', 'run_counts', 'run_labels', 'run_stream', 'runs', 'schedules', 'weft_migrations']);
    const leaked = await admin.query(
      `SELECT table_schema, table_name FROM information_schema.tables
       WHERE table_name IN ('runs', 'journal', 'run_labels', 'weft_migrations') AND table_schema IN ('public')`,
    );
    expect(leaked.rows).toEqual([]);
    await Promise.all([sa.close(), sb.close()]);
  });

  it('rejects a schema name that is not a plain identifier', () => {
    expect(() => postgresStore({ connectionString: URL, schema: 'weft"; drop table x; --' })).toThrow(StoreError);
    expect(() => postgresStore({ connectionString: URL, schema: 'Weft' })).toThrow(/lower-case identifier/);
  });

  it('fails with a retryable StoreError when the server cannot be reached', async () => {
    const store = postgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test', schema: schemaName() });
    const err = await store.open().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ retryable: true, code: 'STORE_UNAVAILABLE' });
    await expect(store.loadRun('x')).rejects.toMatchObject({ retryable: true });
    await store.close();
  });

  it('maps a connection killed by the server (57P01) to a retryable StoreError, then recovers', async () => {
    const schema = schemaName();
    const pool = new pg.Pool({ connectionString: URL, max: 1, application_name: `weft-kill-${schema}` });
    pool.on('error', () => {});
    const store = postgresStore({ pool, schema });
    await store.open();
    const { run } = await store.createRun(newRun({ status: 'running', owner: 'w', leaseExpiresAt: T0 + LEASE_MS }));
    // Hold the only connection inside a transaction, then terminate it from the outside.
    const client = await pool.connect();
    client.on('error', () => {});
    await client.query('BEGIN');
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [
      `weft-kill-${schema}`,
    ]);
    const failed = await client.query('SELECT 1').then(
      () => null,
      (e: unknown) => e,
    );
    client.release(true);
    expect(failed).not.toBeNull();
    const { mapPgError } = await import('../../src/store/postgres/errors.js');
    expect(mapPgError(failed)).toMatchObject({ retryable: true });
    // The pool replaces the dead connection: the store keeps working.
    expect(await store.loadRun(run.runId)).toEqual(run);
    await store.close();
    await pool.end();
  });

  it('a write racing an uncommitted epoch bump waits for it and is fenced', async () => {
    const schema = schemaName();
    const store = postgresStore({ connectionString: URL, schema });
    await store.open();
    const { run } = await store.createRun(newRun({ status: 'running', owner: 'zombie', leaseExpiresAt: T0 + 1 }));
    // Another worker's claim, caught between its UPDATE and its COMMIT.
    const claimer = await admin.connect();
    try {
      await claimer.query('BEGIN');
      await claimer.query(`UPDATE "${schema}".runs SET lease_epoch = lease_epoch + 1, owner = 'new' WHERE id = $1`, [
        run.runId,
      ]);
      const write = store.write([
        { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'late') },
        { type: 'run', runId: run.runId, epoch: run.leaseEpoch, patch: { status: 'success' }, now: T0 + 2 },
      ]);
      let settled = false;
      void write.then(() => (settled = true));
      await new Promise((r) => setTimeout(r, 150));
      expect(settled).toBe(false);
      await claimer.query('COMMIT');
      expect((await write).fenced).toEqual([run.runId]);
    } finally {
      claimer.release();
    }
    expect(await store.loadJournal(run.runId)).toEqual([]);
    expect(await store.loadRun(run.runId)).toMatchObject({ status: 'running', owner: 'new', leaseEpoch: run.leaseEpoch + 1 });
    // A journal-only batch (the single-statement path) is fenced the same way.
    const claimer2 = await admin.connect();
    try {
      await claimer2.query('BEGIN');
      await claimer2.query(`UPDATE "${schema}".runs SET lease_epoch = lease_epoch + 1 WHERE id = $1`, [run.runId]);
      const write = store.write([{ type: 'journal', epoch: run.leaseEpoch + 1, entry: entry(run.runId, 'late2') }]);
      await new Promise((r) => setTimeout(r, 100));
      await claimer2.query('COMMIT');
      expect((await write).fenced).toEqual([run.runId]);
    } finally {
      claimer2.release();
    }
    expect(await store.loadJournal(run.runId)).toEqual([]);
    await store.close();
  });

  it('a write racing an uncommitted lease renewal waits for it and lands (same epoch: not fenced)', async () => {
    const schema = schemaName();
    const store = postgresStore({ connectionString: URL, schema });
    await store.open();
    const { run } = await store.createRun(newRun({ status: 'running', owner: 'w1', leaseExpiresAt: T0 + LEASE_MS }));
    for (const ops of [
      // patch only (single statement), then patch + journal (one transaction)
      [{ type: 'run' as const, runId: run.runId, epoch: run.leaseEpoch, patch: { state: '{"a":1}' }, now: T0 + 1 }],
      [
        { type: 'journal' as const, epoch: run.leaseEpoch, entry: entry(run.runId, 'step') },
        { type: 'run' as const, runId: run.runId, epoch: run.leaseEpoch, patch: { status: 'success' as const, release: true }, now: T0 + 2 },
      ],
    ]) {
      // This worker's own renewal, caught between its UPDATE and its COMMIT: the row gets a new
      // version but keeps its epoch, so the write must apply to that version.
      const renewer = await admin.connect();
      try {
        await renewer.query('BEGIN');
        await renewer.query(`UPDATE "${schema}".runs SET lease_expires_at = lease_expires_at + 1000 WHERE id = $1`, [run.runId]);
        const renewerPid = (await renewer.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        const write = store.write(ops);
        let settled = false;
        void write.then(() => (settled = true));
        // The race is real only once the write waits on the renewer's row lock: wait for that.
        await waitFor(async () => {
          const { rows } = await admin.query<{ n: number }>(
            'SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
            [renewerPid],
          );
          return rows[0]!.n > 0;
        }, 'the write to wait on the renewal');
        expect(settled).toBe(false);
        await renewer.query('COMMIT');
        expect((await write).fenced).toEqual([]);
      } finally {
        renewer.release();
      }
    }
    expect(await store.loadRun(run.runId)).toMatchObject({ status: 'success', state: '{"a":1}', owner: null, leaseEpoch: run.leaseEpoch });
    expect((await store.loadJournal(run.runId)).map((e) => e.path)).toEqual(['step']);
    await store.close();
  });

  it('maintain() analyzes runs once they changed a lot since their last statistics, and only then', async () => {
    const schema = schemaName();
    const store = postgresStore({ connectionString: URL, schema });
    await store.open();
    const analyzed = async (): Promise<number> =>
      Number(
        (await admin.query(`SELECT analyze_count + autoanalyze_count AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'runs'`, [schema]))
          .rows[0]?.n ?? 0,
      );
    // Few changes: nothing to do. The server publishes a connection's table statistics when it next
    // ends a transaction (at most once a second), so maintain() runs until the 50 changes are visible
    // to it, and must not analyze at any point.
    await store.createRuns(Array.from({ length: 50 }, () => newRun()));
    await waitFor(async () => {
      await store.maintain!();
      expect(await analyzed()).toBe(0);
      const { rows } = await admin.query<{ n: number }>(
        `SELECT n_mod_since_analyze::int AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'runs'`,
        [schema],
      );
      return (rows[0]?.n ?? 0) >= 50;
    }, 'the 50 inserts to show in pg_stat_user_tables');
    await store.maintain!();
    expect(await analyzed()).toBe(0);
    const runs = Array.from({ length: 3000 }, (_, i) => newRun({ runId: `bulk-${i}`, resourceId: `user-${i % 7}` }));
    for (let i = 0; i < runs.length; i += 500) await store.createRuns(runs.slice(i, i + 500));
    // The server publishes table statistics asynchronously (about once a second).
    const deadline = Date.now() + 10_000;
    while ((await analyzed()) === 0 && Date.now() < deadline) {
      await store.maintain!();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await analyzed()).toBeGreaterThan(0);
    const { rows } = await admin.query(`SELECT reltuples FROM pg_class WHERE oid = $1::regclass`, [`"${schema}".runs`]);
    expect(Number(rows[0].reltuples)).toBeGreaterThanOrEqual(3000);
    await store.close();
  });

  it('open() on two stores of one new schema at once migrates exactly once', async () => {
    const schema = schemaName();
    const stores = Array.from({ length: 4 }, () => postgresStore({ connectionString: URL, schema }));
    await Promise.all(stores.map((s) => s.open()));
    const { rows } = await admin.query(`SELECT version FROM "${schema}".weft_migrations ORDER BY version`);
    expect(rows.map((r: { version: number }) => r.version)).toEqual(loadMigrations('postgres').map((m) => m.version));
    await Promise.all(stores.map((s) => s.close()));
  });

  describe('migrations', () => {
    it('records applied versions and is idempotent', async () => {
      const schema = schemaName();
      const all = loadMigrations('postgres').map((m) => m.version);
      expect((await migratePostgres({ connectionString: URL, schema })).applied).toEqual(all);
      expect((await migratePostgres({ connectionString: URL, schema })).applied).toEqual([]);
    });

    it('a schema migrated one version at a time equals one migrated at once', async () => {
      const stepwise = schemaName();
      const atOnce = schemaName();
      const upgraded = schemaName();
      for (const m of loadMigrations('postgres')) {
        expect((await migratePostgres({ connectionString: URL, schema: stepwise, to: m.version })).applied).toEqual([
          m.version,
        ]);
      }
      await migratePostgres({ connectionString: URL, schema: atOnce });
      await migratePostgres({ connectionString: URL, schema: upgraded, to: 1 });
      await migratePostgres({ connectionString: URL, schema: upgraded });
      const reference = await schemaDump(atOnce);
      expect(JSON.stringify(reference)).toContain('journal');
      expect(await schemaDump(stepwise)).toEqual(reference);
      expect(await schemaDump(upgraded)).toEqual(reference);
    });

    it('refuses a schema migrated by a newer weft', async () => {
      const schema = schemaName();
      await migratePostgres({ connectionString: URL, schema });
      await admin.query(`INSERT INTO "${schema}".weft_migrations (version, name, applied_at) VALUES (9999, 'future', 0)`);
      await expect(migratePostgres({ connectionString: URL, schema })).rejects.toMatchObject({ code: 'STORE_VERSION' });
    });
  });
});
