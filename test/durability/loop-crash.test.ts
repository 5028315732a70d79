import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runPhase } from './crash-harness.js';

const CHILD = fileURLToPath(new URL('./loop-child.mjs', import.meta.url));
/** Runs a child phase; resolves on exit (SIGKILLed once `killWhen` holds). */
const phase = (env: Record<string, string>, killWhen?: () => boolean) =>
  runPhase(CHILD, env, { killWhen, killWhat: 'the loop to be half-way', killWithinMs: 60000, guardMs: 120000 });
const PG_URL = process.env.WEFT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TURNS = 150;

function ledger(path: string): string[][] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // not written yet
  }
  return text.split('\n').filter(Boolean).map((l) => l.split('\t'));
}

const message = (t: number) => ({ role: t % 2 ? 'user' : 'assistant', turn: t, text: `turn ${t} ${'x'.repeat(1000)}` });

async function scenario(base: Record<string, string>): Promise<void> {
  const env: Record<string, string> = { ...base, TURNS: String(TURNS), LOOP_HISTORY: '7' };
  const execs = () => ledger(env.LEDGER!).filter((l) => l[0] === 'exec').length;
  const first = await phase({ ...env, PHASE: 'run' }, () => execs() >= 70);
  expect(first.signal).toBe('SIGKILL');
  const recover = await phase({ ...env, PHASE: 'recover' });
  expect(recover.code, recover.stderr).toBe(0);

  const lines = ledger(env.LEDGER!);
  const final = lines.find((l) => l[0] === 'final');
  expect(final?.[1]).toBe('success');
  // The recovered run's result is exactly the conversation the steps built, message by message.
  expect(JSON.parse(final![2]!)).toEqual({ messages: Array.from({ length: TURNS }, (_, t) => message(t)), turns: TURNS });
  // Every turn ran; a turn whose row was committed before the kill never ran again (at most the one in
  // flight at the kill ran twice).
  const turns = lines.filter((l) => l[0] === 'exec').map((l) => Number(l[1]));
  expect(new Set(turns).size).toBe(TURNS);
  expect(turns.length - TURNS).toBeLessThanOrEqual(1);
}

describe('a long loop with values stored by content survives kill -9 mid-loop', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('on SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-loop-crash-'));
    dirs.push(dir);
    await scenario({ STORE: 'sqlite', DB_PATH: join(dir, 'w.db'), LEDGER: join(dir, 'ledger.tsv') });
  }, 240_000);

  it('on PostgreSQL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-loop-crash-'));
    dirs.push(dir);
    const schema = `loop_crash_${process.pid}`;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await scenario({ STORE: 'postgres', PG_URL, PG_SCHEMA: schema, LEDGER: join(dir, 'ledger.tsv') });
    } finally {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  }, 240_000);
});
