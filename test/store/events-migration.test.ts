import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migratePostgres } from '../../src/store/postgres/migrations.js';
import { migrateSqlite } from '../../src/store/sqlite/migrations.js';
import { PG_URL, schemaFactory } from './pg-helpers.js';

/**
 * The event-pruning migrations (sqlite 0014, postgres 0017) on events stored before them: token records
 * keep their expiry, other events get one day from when they were sent, and an event its run already
 * took is marked consumed, so retention treats old and new events alike.
 */
const dir = mkdtempSync(join(tmpdir(), 'weft-evmig-'));
const schemas = schemaFactory('evm');
const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
afterAll(async () => {
  await schemas.dropAll(admin);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

const T = 1_700_000_000_000;
const DAY = 86_400_000;
const ROWS: [string, string, string | null, string | null, number][] = [
  ['broadcast', 'paid', null, '{"amount":1}', T],
  ['token-record:abc', 'weft.token.issued', 'r1', `{"expiresAt":${T + 7 * DAY}}`, T],
  ['to-r1', 'paid', 'r1', null, T + 5],
  ['to-r2', 'paid', 'r2', null, T + 6],
];
const EXPECTED = [
  { id: 'broadcast', expires_at: T + DAY, consumed_at: null },
  { id: 'to-r1', expires_at: T + 5 + DAY, consumed_at: T + 50 },
  { id: 'to-r2', expires_at: T + 6 + DAY, consumed_at: null },
  { id: 'token-record:abc', expires_at: T + 7 * DAY, consumed_at: null },
];

describe('events stored before the pruning migration', () => {
  it('PostgreSQL (0017)', async () => {
    const schema = schemas.next();
    await migratePostgres({ connectionString: PG_URL, schema, to: 16 });
    const s = `"${schema}"`;
    for (const [id, name, runId, data, at] of ROWS) {
      await admin.query(`INSERT INTO ${s}.events (id, name, match_key, run_id, data, created_at) VALUES ($1, $2, NULL, $3, $4, $5)`, [id, name, runId, data, at]);
    }
    // to-r1 was taken by r1; the broadcast event by r2 (which does not consume it).
    await admin.query(`INSERT INTO ${s}.event_deliveries (event_id, run_id, path, delivered_at) VALUES ('to-r1', 'r1', 'w', $1), ('broadcast', 'r2', 'w', $1)`, [T + 50]);
    expect((await migratePostgres({ connectionString: PG_URL, schema })).applied).toContain(17);
    const rows = (await admin.query(`SELECT id, expires_at::float8 AS expires_at, consumed_at::float8 AS consumed_at FROM ${s}.events ORDER BY id`)).rows;
    expect(rows).toEqual(EXPECTED);
  });

  it('SQLite (0014)', () => {
    const path = join(dir, 'old.db');
    migrateSqlite(path, { to: 13 });
    const db = new Database(path);
    try {
      const ins = db.prepare(`INSERT INTO events (id, name, match_key, run_id, data, created_at) VALUES (?, ?, NULL, ?, ?, ?)`);
      for (const r of ROWS) ins.run(...r);
      db.prepare(`INSERT INTO event_deliveries (event_id, run_id, path, delivered_at) VALUES ('to-r1', 'r1', 'w', ?), ('broadcast', 'r2', 'w', ?)`).run(T + 50, T + 50);
    } finally {
      db.close();
    }
    expect(migrateSqlite(path).applied).toContain(14);
    const after = new Database(path, { readonly: true });
    try {
      expect(after.prepare(`SELECT id, expires_at, consumed_at FROM events ORDER BY id`).all()).toEqual(EXPECTED);
    } finally {
      after.close();
    }
  });
});
