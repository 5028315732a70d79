import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runPhase } from '../durability/crash-harness.js';
import { PG_URL } from '../store/pg-helpers.js';
import { useCrashScratch } from '../support/crash-scratch.js';

/**
 * A worker SIGKILLed while a parent run waits for its child, while the child runs, or right after the
 * child returned: a fresh process on the same store finishes the parent with the child's result, and
 * there is exactly one child run (the replayed parent attaches to the child it started).
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

type KillPoint = 'child-created' | 'child-running' | 'parent-waiting' | 'child-returned';

async function scenario(base: Record<string, string>, point: KillPoint): Promise<void> {
  const env: Record<string, string> = { ...base, ...(point === 'child-returned' ? {} : { BLOCK_CHILD: '1' }), ...(point === 'child-created' ? { CRASH_CHILD_CREATED: '1' } : {}) };
  const has = (kind: string, what?: string) => () => ledger(env.LEDGER!).some((l) => l[0] === kind && (what === undefined || l[1] === what));
  const killWhen = point === 'child-running' ? has('exec', 'work') : point === 'parent-waiting' ? has('parent-waiting') : has('returned', 'work');
  // child-created: the process dies by itself at the armed crash point.
  const first = await runPhase(SCRIPT, { ...env, ROLE: 'crash-run' }, point === 'child-created' ? { guardMs: 90_000 } : { killWhen, killWhat: point, killWithinMs: 60_000, guardMs: 90_000 });
  expect(first.signal, first.stderr).toBe('SIGKILL');
  const recover = await runPhase(SCRIPT, { ...base, ROLE: 'recover' }, { guardMs: 90_000 });
  expect(recover.code, recover.stderr).toBe(0);

  const lines = ledger(env.LEDGER!);
  const final = lines.find((l) => l[0] === 'final')!;
  expect(final.slice(1, 3)).toEqual(['success', JSON.stringify({ got: 40 })]);
  const linked = JSON.parse(final[3]!) as string[];
  const stored = JSON.parse(final[4]!) as string[];
  expect(linked).toHaveLength(1);
  expect(stored).toEqual(linked);
  // The child's step ran once, or twice when it was in flight at the kill; never more.
  const works = lines.filter((l) => l[0] === 'exec' && l[1] === 'work').length;
  expect(works).toBeGreaterThanOrEqual(1);
  if (point === 'child-created') expect(lines.filter((l) => l[0] === 'exec' && l[1] === 'delegate').length).toBeGreaterThanOrEqual(2);
  expect(works).toBeLessThanOrEqual(2);
}

const POINTS: KillPoint[] = ['child-created', 'child-running', 'parent-waiting', 'child-returned'];

describe('child runs survive kill -9 of their worker', () => {
  const scratch = useCrashScratch('weft-child-crash');

  it.each(POINTS)('on SQLite, killed when %s', async (point) => {
    const dir = scratch.dir();
    await scenario({ STORE: 'sqlite', DB_PATH: join(dir, 'w.db'), LEDGER: join(dir, 'ledger.tsv') }, point);
  }, 240_000);

  it.each(POINTS)('on PostgreSQL, killed when %s', async (point) => {
    const dir = scratch.dir();
    const schema = await scratch.schema(`child_crash_${process.pid}_${point.replace(/-/g, '_')}`);
    await scenario({ STORE: 'postgres', PG_URL, PG_SCHEMA: schema, LEDGER: join(dir, 'ledger.tsv') }, point);
  }, 240_000);
});
