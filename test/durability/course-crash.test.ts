import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresStore, sqliteStore, type Store } from '../../src/index.js';
import { runPhase } from './crash-harness.js';

const CHILD = fileURLToPath(new URL('./course-child.mjs', import.meta.url));
/** Runs a child phase; resolves on exit (SIGKILLed once `killWhen` holds). */
const phase = (env: Record<string, string>, killWhen?: () => boolean) =>
  runPhase(CHILD, env, { killWhen, killWhat: 'the rewound run to reach its hanging step', killWithinMs: 30000, guardMs: 60000 });
const PG_URL = process.env.WEFT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Lines {
  lines: string[][];
}

function ledger(path: string): Lines {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // not written yet
  }
  return { lines: text.split('\n').filter(Boolean).map((l) => l.split('\t')) };
}

async function scenario(base: Record<string, string>, open: () => Store): Promise<void> {
  const travel = await phase({ ...base, PHASE: 'travel', HANG: '1' }, () => ledger(base.LEDGER!).lines.some((l) => l[0] === 'exec' && l[1] === 't3' && l[2] === '1001'));
  expect(travel.signal).toBe('SIGKILL');
  const recover = await phase({ ...base, PHASE: 'recover' });
  expect(recover.code, recover.stderr).toBe(0);

  const lines = ledger(base.LEDGER!).lines;
  expect(lines.find((l) => l[0] === 'first')?.slice(1, 3)).toEqual(['success', '{"n":3}']);
  expect(lines.find((l) => l[0] === 'final')?.slice(1, 3)).toEqual(['success', '{"n":1002}']);
  const execs = lines.filter((l) => l[0] === 'exec').map((l) => `${l[1]}:${l[2]}`);
  // The first course, then the travelled one from t2 (t3 again after the crash); t1 ran once only.
  expect(execs.filter((e) => e.startsWith('t1'))).toEqual(['t1:0']);
  expect(execs).toEqual(expect.arrayContaining(['t2:1', 't3:2', 't2:1000', 't3:1001']));
  expect(execs.filter((e) => e === 't2:1000')).toHaveLength(1);

  const store = open();
  await store.open();
  try {
    const history = await store.loadHistory('run-1');
    expect(history).toHaveLength(1);
    expect(history[0]!.reason).toBe('time travel to t2');
    expect(history[0]!.rows.filter((e) => e.kind === 'step').map((e) => [e.path, e.output])).toEqual([
      ['t1', '{"n":1}'],
      ['t2', '{"n":2}'],
      ['t3', '{"n":3}'],
    ]);
  } finally {
    await store.close();
  }
}

describe('a time-travelled run survives kill -9', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('SQLite: the rewound run finishes in the next process from its new course; the first course stays in its history', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-course-'));
    dirs.push(dir);
    const env = { STORE: 'sqlite', LEDGER: join(dir, 'ledger.log'), DB_PATH: join(dir, 'w.db') };
    await scenario(env, () => sqliteStore({ path: env.DB_PATH }));
  }, 120_000);

  it('PostgreSQL: the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-course-pg-'));
    dirs.push(dir);
    const schema = `weft_course_${process.pid}_${Date.now()}`;
    const env = { STORE: 'postgres', LEDGER: join(dir, 'ledger.log'), PG_URL, PG_SCHEMA: schema };
    try {
      await scenario(env, () => postgresStore({ connectionString: PG_URL, schema }));
    } finally {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  }, 120_000);
});
