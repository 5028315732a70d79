import Database from 'better-sqlite3';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStore } from '../../src/index.js';
import { startHarness, type Harness } from './harness.js';

// Query parameters, path ids and body ids are checked at the HTTP edge, before any of them reaches a
// store: the same answers on SQLite and PostgreSQL, and never a 500 quoting the database driver.

const PG_URL = process.env.WEFT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
/** This file's schemas start with this prefix and are dropped when it ends. */
const PREFIX = `weft_http_t${process.pid}_${Date.now().toString(36)}_`;
const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });

afterAll(async () => {
  const { rows } = await admin.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, [PREFIX]);
  for (const r of rows) await admin.query(`DROP SCHEMA IF EXISTS "${r.nspname}" CASCADE`);
  await admin.end();
});

interface Backend {
  start(onError: (err: unknown) => void): Promise<{ h: Harness; breakStore: () => Promise<void> }>;
}

let schemas = 0;
const backends: Record<string, Backend> = {
  sqlite: {
    async start(onError) {
      const h = await startHarness({ onError });
      // Drops the runs table under the running server, so the next listing fails inside the driver.
      const breakStore = async () => {
        const db = new Database(join(h.dir, 'weft.db'));
        db.exec('DROP TABLE runs');
        db.close();
      };
      return { h, breakStore };
    },
  },
  postgres: {
    async start(onError) {
      const schema = `${PREFIX}${++schemas}`;
      const h = await startHarness({ onError, store: postgresStore({ connectionString: PG_URL, schema }) });
      const breakStore = async () => void (await admin.query(`DROP TABLE "${schema}".runs CASCADE`));
      return { h, breakStore };
    },
  },
};

describe.each(Object.keys(backends))('%s-backed server', (name) => {
  let h: Harness;
  let breakStore: () => Promise<void>;
  const internal: unknown[] = [];
  beforeAll(async () => {
    ({ h, breakStore } = await backends[name]!.start((err) => internal.push(err)));
    await h.api('/workflows/add/runs?wait=true', { method: 'POST', json: { inputData: { n: 1 }, runId: 'known' } });
  });
  afterAll(async () => {
    await h.close();
  });

  const expect400 = async (path: string, init?: Parameters<Harness['api']>[1]) => {
    const res = await h.api(path, init);
    expect(res.status, path).toBe(400);
    expect(res.body.error.code, path).toBe('INVALID_ARGUMENT');
    return res;
  };

  it('refuses dates outside the years 1970-9999, however written', async () => {
    for (const q of ['from=99999999999999999999999', 'to=99999999999999999999999', 'from=253402300800000', 'from=-1', 'to=1969-12-31T23:59:59Z', 'from=%2B275760-09-13T00:00:00Z', 'from=10000-01-01']) {
      const res = await expect400(`/runs?${q}`);
      expect(res.body.error.message).toMatch(/1970 and 9999/);
    }
    await expect400('/workflows/add/runs?from=99999999999999999999999');
    for (const q of ['from=0', 'to=253402300799999', 'to=9999-12-31T23:59:59.999Z', `from=${new Date(0).toISOString()}`]) {
      expect((await h.api(`/runs?${q}`)).status, q).toBe(200);
    }
  });

  it('refuses control characters in query values (NUL first of all)', async () => {
    for (const q of ['workflowId=a%00b', 'resourceId=a%00b', 'status=%00', 'workflowId=%1B%5B2J', 'resourceId=x%7F']) await expect400(`/runs?${q}`);
    await expect400('/workflows/add/runs?resourceId=a%00b');
    await expect400('/workflows/add/runs/known/events?lastEventId=%00');
  });

  it('refuses ids in paths with control characters, over 200 characters, or not UTF-8', async () => {
    for (const path of ['/runs/a%00b', '/workflows/add/runs/a%00b', '/workflows/a%00b', '/workflows/a%00b/runs', '/workflows/add/runs/a%00b/events', `/runs/${'x'.repeat(201)}`, '/runs/%ED%A0%80', '/runs/%E0%A4%A']) {
      await expect400(path);
    }
    await expect400('/workflows/add/runs/a%00b/cancel', { method: 'POST', json: {} });
    await expect400('/workflows/add/runs/a%00b', { method: 'DELETE' });
    // At the limit, and with non-ASCII characters, an id is just an id.
    expect((await h.api(`/runs/${'x'.repeat(200)}`)).body.error.code).toBe('RUN_NOT_FOUND');
    expect((await h.api(`/runs/${encodeURIComponent('é-漢字-🙂')}`)).body.error.code).toBe('RUN_NOT_FOUND');
    expect((await h.api('/runs/known')).body.runId).toBe('known');
  });

  it('refuses run and resource ids in a start body with control characters or unpaired surrogates, storing nothing', async () => {
    const before = (await h.store.listRuns({})).total;
    for (const body of ['{"inputData":{"n":1},"runId":"a\\u0000b"}', '{"inputData":{"n":1},"runId":"\\ud800"}', '{"inputData":{"n":1},"resourceId":"bell\\u0007"}', '{"inputData":{"n":1},"runId":"x\\udc00y"}']) {
      const res = await expect400('/workflows/add/runs', { method: 'POST', body });
      expect(res.body.error.message).toMatch(/runId|resourceId/);
    }
    expect((await h.store.listRuns({})).total).toBe(before);
    // A paired surrogate (an emoji) is fine.
    expect((await h.api('/workflows/add/runs?wait=true', { method: 'POST', json: { inputData: { n: 1 }, runId: 'run-🙂' } })).status).toBe(200);
  });

  it('answers a store failure with 500 and a generic message; the driver text goes to onError only', async () => {
    await breakStore();
    internal.length = 0;
    const res = await h.api('/runs');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'STORE_ERROR', message: 'internal server error' } });
    expect(internal).toHaveLength(1);
    // The driver's text ("no such table: runs" / "relation ... does not exist") is the error's cause.
    expect(String(((internal[0] as Error).cause as Error | undefined)?.message)).toMatch(/runs/);
  });
});
