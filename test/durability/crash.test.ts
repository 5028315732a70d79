import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresStore, sqliteStore, type Store } from '../../src/index.js';
import { CALLBACK_OUTCOMES, ORDER, expected } from './chaos-workflows.mjs';
import { readLedger, runChild, type ChildEnv } from './crash-harness.js';

const PG_URL = process.env.WEFT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOTAL = 360;
const EXTERNAL_KILLS = 20;
const CRASH_POINT_CYCLES = 10;

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

async function chaos(env: ChildEnv, openStore: () => Store) {
  let kills = 0;
  let crashPointDeaths = 0;
  for (let i = 0; i < EXTERNAL_KILLS; i++) {
    const exit = await runChild(env, 30 + Math.floor(Math.random() * 400));
    if (exit.signal === 'SIGKILL') kills++;
    if (exit.sawDone) break;
  }
  for (let i = 0; i < CRASH_POINT_CYCLES; i++) {
    // Armed crash points kill the process inside a commit window (just before or just after the
    // store transaction); if none fires in time, kill it from outside anyway.
    const exit = await runChild({ ...env, CRASH_PROB: '0.01' }, 600 + Math.floor(Math.random() * 400));
    if (exit.signal === 'SIGKILL') {
      kills++;
      if (!exit.killedByHarness) crashPointDeaths++;
    }
    if (exit.sawDone) break;
  }
  const final = await runChild(env, null, 180_000);
  expect(final.sawDone, final.stderr).toBe(true);
  expect(final.code).toBe(0);

  const ledger = readLedger(env.LEDGER);
  let callbackRuns = 0;
  const store = openStore();
  await store.open();
  try {
    let checked = 0;
    for (let i = 0; i < TOTAL; i++) {
      const runId = `run-${i}`;
      if (!ledger.acked.has(runId)) continue;
      const run = await store.loadRun(runId);
      expect(run?.status, `${runId}: ${run?.error}`).toBe('success');
      expect(JSON.parse(run!.result!)).toEqual(expected(i));
      const outcomes = CALLBACK_OUTCOMES[ORDER[i % ORDER.length]!];
      if (outcomes) {
        // Lifecycle callbacks: delivered at least once per outcome, recorded (the run released), and
        // never recorded more than once per outcome (a record seen in the ledger was committed).
        for (const status of outcomes) expect(ledger.callbacks.get(`${runId}/${status}`) ?? 0, `${runId}: onFinish(${status})`).toBeGreaterThanOrEqual(1);
        expect(run!.owner, `${runId}: callbacks not recorded`).toBeNull();
        expect(ledger.records.get(runId) ?? 0, `${runId}: records`).toBeLessThanOrEqual(outcomes.length);
        callbackRuns++;
      }
      checked++;
    }
    expect(checked).toBe(TOTAL);
  } finally {
    await store.close();
  }
  console.log(
    `[crash ${env.STORE}] SIGKILLs: ${kills} (${crashPointDeaths} at armed crash points); runs checked: ${ledger.acked.size}; ` +
      `step executions: ${ledger.executions}, re-executions of uncommitted steps: ${ledger.reexecutions}; violations: ${ledger.violations.length}; ` +
      `callback runs: ${callbackRuns}, deliveries: ${sum(ledger.callbacks)} for ${ledger.callbacks.size} outcomes, records seen: ${sum(ledger.records)}`,
  );
  expect(ledger.violations).toEqual([]);
  expect(kills).toBeGreaterThanOrEqual(25);
}

/**
 * A process killed between a run's final commit and the record of its lifecycle callbacks: once right
 * after the callbacks returned, once right before they are called. The next process must call them again
 * and record them once.
 */
async function callbackWindow(env: ChildEnv, openStore: () => Store) {
  const total = Number(env.TOTAL);
  for (const point of ['callback:after', 'callback:before']) {
    const exit = await runChild({ ...env, CRASH_AT: point }, null, 60_000);
    expect(exit.signal, `a child armed at ${point} must die there; stderr:\n${exit.stderr}`).toBe('SIGKILL');
    expect(exit.killedByHarness).toBe(false);
  }
  const final = await runChild(env, null, 60_000);
  expect(final.sawDone, final.stderr).toBe(true);
  const ledger = readLedger(env.LEDGER);
  const store = openStore();
  await store.open();
  let redelivered = 0;
  try {
    for (let i = 0; i < total; i++) {
      const runId = `run-${i}`;
      const run = await store.loadRun(runId);
      expect(run?.status, runId).toBe('success');
      const outcomes = CALLBACK_OUTCOMES[ORDER[i % ORDER.length]!];
      if (!outcomes) continue;
      expect(run!.owner, `${runId}: callbacks not recorded`).toBeNull();
      for (const status of outcomes) {
        const n = ledger.callbacks.get(`${runId}/${status}`) ?? 0;
        expect(n, `${runId}: onFinish(${status})`).toBeGreaterThanOrEqual(1);
        if (n > 1) redelivered++;
      }
      expect(ledger.records.get(runId) ?? 0).toBeLessThanOrEqual(outcomes.length);
    }
  } finally {
    await store.close();
  }
  // The child killed after the callbacks returned left one outcome delivered but unrecorded.
  expect(redelivered).toBeGreaterThanOrEqual(1);
  expect(ledger.violations).toEqual([]);
}

describe('crash recovery with real processes killed by SIGKILL', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('SQLite: lifecycle callbacks of a process killed between the final commit and their record run again, recorded once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-crash-cb-'));
    dirs.push(dir);
    const env: ChildEnv = { STORE: 'sqlite', LEDGER: join(dir, 'ledger.log'), TOTAL: '12', DB_PATH: join(dir, 'weft.db') };
    await callbackWindow(env, () => sqliteStore({ path: env.DB_PATH! }));
  }, 180_000);

  it('PostgreSQL: lifecycle callbacks of a process killed between the final commit and their record run again, recorded once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-crash-cb-pg-'));
    dirs.push(dir);
    const schema = `weft_crash_cb_${process.pid}_${Date.now()}`;
    const env: ChildEnv = { STORE: 'postgres', LEDGER: join(dir, 'ledger.log'), TOTAL: '12', PG_URL, PG_SCHEMA: schema };
    try {
      await callbackWindow(env, () => postgresStore({ connectionString: PG_URL, schema }));
    } finally {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  }, 180_000);

  it('SQLite: every acknowledged run finishes with the right result and no committed step runs again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-crash-'));
    dirs.push(dir);
    const env: ChildEnv = { STORE: 'sqlite', LEDGER: join(dir, 'ledger.log'), TOTAL: String(TOTAL), DB_PATH: join(dir, 'weft.db') };
    await chaos(env, () => sqliteStore({ path: env.DB_PATH! }));
  }, 600_000);

  it('PostgreSQL: every acknowledged run finishes with the right result and no committed step runs again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-crash-pg-'));
    dirs.push(dir);
    const schema = `weft_crash_${process.pid}_${Date.now()}`;
    const env: ChildEnv = { STORE: 'postgres', LEDGER: join(dir, 'ledger.log'), TOTAL: String(TOTAL), PG_URL, PG_SCHEMA: schema };
    try {
      await chaos(env, () => postgresStore({ connectionString: PG_URL, schema }));
    } finally {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  }, 600_000);
});
