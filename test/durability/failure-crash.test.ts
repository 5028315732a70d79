import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresStore, sqliteStore, type Store } from '../../src/index.js';

/**
 * onFailure across crashes and workers (issue 18.11): processes killed with SIGKILL right before a failed
 * outcome's work starts and right after its failure run was created (before the outcome's record), then
 * two workers finishing together: every failed run has exactly one failure run.
 */

const CHILD = fileURLToPath(new URL('./failure-child.mjs', import.meta.url));
const PG_URL = process.env.WEFT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOTAL = 6;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  done: boolean;
  stderr: string;
}

function child(env: Record<string, string>, timeoutMs = 60_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let done = false;
    let stderr = '';
    const guard = setTimeout(() => {
      c.kill('SIGKILL');
      reject(new Error(`failure child did not end within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    c.stdout.setEncoding('utf8').on('data', (s: string) => {
      if (s.includes('done')) done = true;
    });
    c.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    c.on('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, done, stderr });
    });
  });
}

async function scenario(env: Record<string, string>, open: () => Store) {
  for (const point of ['callback:before', 'failure-run:started']) {
    const exit = await child({ ...env, CRASH_AT: point });
    expect(exit.signal, `a child armed at ${point} must die there; stderr:\n${exit.stderr}`).toBe('SIGKILL');
  }
  // Two workers finish the rest together (takeovers of the held outcomes race between them).
  const finals = await Promise.all([child(env), child(env)]);
  for (const f of finals) expect(f.done, f.stderr).toBe(true);

  const store = open();
  await store.open();
  try {
    const failed = await store.listRuns({ workflowId: 'fail-job', perPage: 100 });
    expect(failed.total).toBe(TOTAL);
    for (const r of failed.runs) {
      expect(r.status).toBe('failed');
      expect(r.owner, `${r.runId}: outcome not recorded`).toBeNull();
    }
    const alerts = await store.listRuns({ workflowId: 'fail-alert', perPage: 100 });
    const inputs = alerts.runs.map((r) => (JSON.parse(r.input!) as { runId: string }).runId).sort();
    // Exactly one failure run per failed run, however many deliveries the crashes caused.
    expect(inputs).toEqual(failed.runs.map((r) => r.runId).sort());
    expect(alerts.runs.every((r) => r.status === 'success')).toBe(true);
  } finally {
    await store.close();
  }
  const ledger = existsSync(env.LEDGER!) ? readFileSync(env.LEDGER!, 'utf8') : '';
  const paged = new Set(ledger.split('\n').filter((l) => l.startsWith('alert\t')).map((l) => l.split('\t')[1]));
  expect(paged.size).toBe(TOTAL);
}

describe('onFailure with processes killed by SIGKILL', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('SQLite: one failure run per failed run across crashes and two workers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-onfail-'));
    dirs.push(dir);
    const env = { STORE: 'sqlite', LEDGER: join(dir, 'ledger.log'), TOTAL: String(TOTAL), DB_PATH: join(dir, 'weft.db') };
    await scenario(env, () => sqliteStore({ path: env.DB_PATH }));
  }, 180_000);

  it('PostgreSQL: one failure run per failed run across crashes and two workers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-onfail-pg-'));
    dirs.push(dir);
    const schema = `weft_onfail_${process.pid}_${Date.now()}`;
    const env = { STORE: 'postgres', LEDGER: join(dir, 'ledger.log'), TOTAL: String(TOTAL), PG_URL, PG_SCHEMA: schema };
    try {
      await scenario(env, () => postgresStore({ connectionString: PG_URL, schema }));
    } finally {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  }, 180_000);
});
