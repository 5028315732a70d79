import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runPhase } from '../durability/crash-harness.js';
import { PG_URL } from '../store/pg-helpers.js';
import { waitUntil } from '../support/wait.js';

/**
 * Two worker processes on one PostgreSQL schema: w1 starts the parent and executes its step until the
 * parent parks; the child is executed by w2 (w1's one slot is taken by a higher-priority run as soon as
 * the parent parks); the child's outcome wakes the parent, which finishes with the child's result.
 */
const SCRIPT = fileURLToPath(new URL('./child-process.mjs', import.meta.url));

function ledger(path: string): string[][] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // not written yet
  }
  return text.split('\n').filter(Boolean).map((l) => l.split('\t'));
}

describe('child runs across processes on PostgreSQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-child-mp-'));
  const admin = new pg.Pool({ connectionString: PG_URL });
  const schema = `child_mp_${process.pid}`;
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it('a parent started in one process gets the result of a child another worker executed', async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    const env = { STORE: 'postgres', PG_URL, PG_SCHEMA: schema, LEDGER: join(dir, 'ledger.tsv') };
    const lines = () => ledger(env.LEDGER);
    const w2 = runPhase(SCRIPT, { ...env, ROLE: 'w2' }, { guardMs: 90_000 });
    await waitUntil(() => lines().some((l) => l[0] === 'w2-ready'), { timeout: 30_000, message: 'w2 ready' });
    const w1 = spawn(process.execPath, [SCRIPT], { env: { ...process.env, ...env, ROLE: 'w1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let w1err = '';
    w1.stderr!.setEncoding('utf8').on('data', (c: string) => (w1err += c));
    try {
      const done = await w2;
      expect(done.code, done.stderr + w1err).toBe(0);
    } finally {
      w1.kill('SIGKILL');
    }
    const all = lines();
    const pidOf = (role: string) => all.find((l) => l[0] === role)![1]!;
    const w1pid = pidOf('w1-started');
    const w2pid = pidOf('w2-ready');
    const execs = (step: string) => all.filter((l) => l[0] === 'exec' && l[1] === step).map((l) => l[2]);
    // The parent's step began in w1; the child ran in w2 only; w1's slot went to the hog.
    expect(execs('delegate')[0]).toBe(w1pid);
    expect(execs('work')).toEqual([w2pid]);
    expect(execs('hog')).toEqual([w1pid]);
    const final = all.find((l) => l[0] === 'final')!;
    expect(final.slice(1, 3)).toEqual(['success', JSON.stringify({ got: 70 })]);
    expect(JSON.parse(final[3]!)).toHaveLength(1);
    // The parent finished after its child.
    expect(Number(final[5])).toBeGreaterThanOrEqual(Number(final[6]));
    expect(Number(final[6])).toBeGreaterThan(0);
  }, 120_000);
});
