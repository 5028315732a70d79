import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runPhase } from '../durability/crash-harness.js';
import { PG_URL } from '../store/pg-helpers.js';
import { useCrashScratch } from '../support/crash-scratch.js';

/**
 * A process canceling a tree of runs (a root, three children, two grandchildren; running, waiting and
 * suspended) is SIGKILLed midway through the cascade: after the first, third or fifth run's cancel
 * committed. A fresh process on the same store, which cancels nothing, ends with every run of the tree
 * canceled, and no step of the tree executed there.
 */
const SCRIPT = fileURLToPath(new URL('./cancel-process.mjs', import.meta.url));

function ledger(path: string): string[][] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));
}

async function scenario(base: Record<string, string>, killAt: number): Promise<void> {
  const first = await runPhase(SCRIPT, { ...base, ROLE: 'crash-cancel', KILL_AT: String(killAt) }, { guardMs: 90_000 });
  expect(first.signal, first.stderr).toBe('SIGKILL');
  const before = ledger(base.LEDGER!);
  expect(before.some((l) => l[0] === 'tree-ready')).toBe(true);
  // Died inside the cascade: the cancel never returned.
  expect(before.some((l) => l[0] === 'cancel-returned')).toBe(false);
  const crashPid = before[0]![before[0]!.length - 1];

  const recover = await runPhase(SCRIPT, { ...base, ROLE: 'recover' }, { guardMs: 90_000 });
  expect(recover.code, recover.stderr).toBe(0);
  const lines = ledger(base.LEDGER!);
  const finals = lines.filter((l) => l[0] === 'final');
  expect(finals.map((l) => l[1]).sort()).toEqual(['leaf', 'leaf', 'mid', 'mid', 'root', 'sus']);
  expect(finals.map((l) => `${l[1]} ${l[3]}`)).toEqual(finals.map((l) => `${l[1]} canceled`));
  // Nothing of the tree ran again after the kill: every descendant was canceled instead of executed.
  expect(lines.filter((l) => l[0] === 'exec' && l[2] !== crashPid)).toEqual([]);
}

const KILL_AT = [1, 3, 5];

describe('a cancel cascade survives kill -9 of its canceler', () => {
  const scratch = useCrashScratch('weft-cancel-crash');

  it.each(KILL_AT)('on SQLite, killed after cancel number %i committed', async (killAt) => {
    const dir = scratch.dir();
    await scenario({ STORE: 'sqlite', DB_PATH: join(dir, 'w.db'), LEDGER: join(dir, 'ledger.tsv') }, killAt);
  }, 240_000);

  it.each(KILL_AT)('on PostgreSQL, killed after cancel number %i committed', async (killAt) => {
    const dir = scratch.dir();
    const schema = await scratch.schema(`cancel_crash_${process.pid}_${killAt}`);
    await scenario({ STORE: 'postgres', PG_URL, PG_SCHEMA: schema, LEDGER: join(dir, 'ledger.tsv') }, killAt);
  }, 240_000);
});
