import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * What a user gets from `npm pack` / `npm publish`: a clean copy of the repository (no dist/, no
 * node_modules) is packed, the tarball is installed into a new strict TypeScript project, and a program
 * using the SQLite and PostgreSQL stores is compiled (`skipLibCheck: false`) and run.
 */

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const PG_URL = process.env.WEFT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `weft_pack_${process.pid}`;
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let tmp: string;
let app: string;
let listing: string[];

async function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 32 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/**
 * The files a clone would have: tracked and untracked-but-not-ignored, read from the working tree so
 * uncommitted changes are tested too (a `git clone` would only see commits).
 */
async function cleanCopy(dest: string): Promise<void> {
  const { stdout } = await sh('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT);
  for (const file of stdout.split('\0')) {
    if (!file || file === 'node_modules' || !existsSync(join(ROOT, file))) continue;
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dest, file));
  }
}

const WORKFLOW = `
import { createStep, createWorkflow } from 'weft';
import { z } from 'zod';

const num = z.object({ n: z.number() });
const double = createStep({ id: 'double', inputSchema: num, outputSchema: num, execute: async ({ inputData }) => ({ n: inputData.n * 2 }) });
export const doubler = createWorkflow({ id: 'doubler', inputSchema: num, outputSchema: num }).then(double).commit();
`;

const MAIN = `
import { Weft, postgresStore, sqliteStore, type PostgresStoreOptions, type SqliteStoreOptions, type Store } from 'weft';
import { createClient } from 'weft/client';
import { createApp } from 'weft/server';
import { FakeClock, withTestSeams } from 'weft/testing';
import { doubler } from './workflow.js';

async function runOn(store: Store, label: string): Promise<void> {
  const weft = new Weft({ workflows: { doubler }, store });
  await weft.start();
  try {
    const run = await weft.getWorkflow('doubler').createRun();
    const result = await run.start({ inputData: { n: 21 } });
    if (result.status !== 'success') throw new Error(label + ': ' + result.status);
    console.log(label, result.result.n);
  } finally {
    await weft.stop();
  }
}

const sqlite: SqliteStoreOptions = { path: process.argv[2] ?? 'weft.db' };
await runOn(sqliteStore(sqlite), 'sqlite');
const postgres: PostgresStoreOptions = { connectionString: process.env.PG_URL, schema: process.env.PG_SCHEMA };
await runOn(postgresStore(postgres), 'postgres');

// Never called: each line must be a type error, which it is not if the store types degrade to any.
export function typeChecks(): void {
  // @ts-expect-error path is a string
  sqliteStore({ path: 1 });
  // @ts-expect-error schema is a string
  postgresStore({ schema: 42 });
  // @ts-expect-error a pool is a pg.Pool
  postgresStore({ pool: 'postgres://' });
  // The other entry points' types load too.
  const client = createClient<{ doubler: typeof doubler }>({ baseUrl: 'http://127.0.0.1:4700' });
  void client.getWorkflow('doubler');
  void createApp(new Weft(withTestSeams({ workflows: { doubler }, store: sqliteStore({ path: ':memory:' }) }, { clock: new FakeClock(0) })));
}
`;

/** A user's own pg.Pool, typed by @types/pg, passed to the store. */
const POOL = `
import pg from 'pg';
import { Weft, postgresStore } from 'weft';
import { doubler } from './workflow.js';

const pool = new pg.Pool({ connectionString: process.env.PG_URL });
const weft = new Weft({ workflows: { doubler }, store: postgresStore({ pool, schema: process.env.PG_SCHEMA }) });
await weft.start();
const result = await (await weft.getWorkflow('doubler').createRun()).start({ inputData: { n: 5 } });
await weft.stop();
// The store never ends a pool it was given.
const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');
await pool.end();
console.log('pool', result.status, rows[0]?.one);
`;

function tsconfig(files: string[], skipLibCheck: boolean): string {
  return JSON.stringify({
    compilerOptions: { strict: true, skipLibCheck, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', outDir: 'out', rootDir: '.' },
    files,
  });
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'weft-pack-'));
  const src = join(tmp, 'src');
  await cleanCopy(src);
  expect(existsSync(join(src, 'dist'))).toBe(false);
  // The build needs the dev dependencies (typescript): this checkout's, read only.
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(src, 'node_modules'), 'dir');
  await sh('npm', ['pack', '--pack-destination', tmp], src);
  const tarball = join(tmp, `weft-${VERSION}.tgz`);
  listing = (await sh('tar', ['-tzf', tarball], tmp)).stdout.split('\n').filter(Boolean);

  app = join(tmp, 'app');
  mkdirSync(app);
  // better-sqlite3 is the one dependency that compiles C++ on install (a minute and a half here); the
  // project's copy, built by its own install, stands in for it. Everything else comes from the registry.
  const betterSqlite = realpathSync(join(ROOT, 'node_modules/better-sqlite3'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', overrides: { 'better-sqlite3': `file:${betterSqlite}` } }));
  await sh('npm', ['install', tarball, 'zod@^4.1.0', '@types/node@^20.19.0', '--ignore-scripts', '--no-audit', '--no-fund'], app);
}, 180_000);

afterAll(async () => {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await client.end();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships the built code, types, migrations and LICENSE, and no sources or tests', () => {
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/server/index.js', 'dist/client/index.d.ts', 'dist/testing/index.js', 'migrations/sqlite/0001_init.sql', 'migrations/postgres/0001_init.sql', 'LICENSE', 'README.md', 'package.json']) {
      expect(listing).toContain(`package/${f}`);
    }
    expect(listing.filter((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toEqual([]);
  });

  it('has source maps that carry their sources (src/ is not shipped)', () => {
    const dist = join(app, 'node_modules/weft/dist');
    const maps = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(20);
    const unresolved: string[] = [];
    for (const m of maps) {
      const map = JSON.parse(readFileSync(join(dist, m), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      map.sources.forEach((s, i) => {
        if (typeof map.sourcesContent?.[i] !== 'string' && !existsSync(join(dist, dirname(m), s))) unresolved.push(`${m}: ${s}`);
      });
    }
    expect(unresolved).toEqual([]);
  });

  it('compiles in a strict project with skipLibCheck false (no @types/pg or @types/better-sqlite3) and runs on SQLite and PostgreSQL', async () => {
    writeFileSync(join(app, 'workflow.ts'), WORKFLOW);
    writeFileSync(join(app, 'main.ts'), MAIN);
    expect(existsSync(join(app, 'node_modules/@types/pg'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/@types/better-sqlite3'))).toBe(false);
    writeFileSync(join(app, 'tsconfig.json'), tsconfig(['workflow.ts', 'main.ts'], false));
    // With skipLibCheck: false an unresolved import in weft's .d.ts files is an error (TS2307/TS7016); under
    // skipLibCheck: true it would silently turn the types using it into any, which the @ts-expect-error lines catch.
    await sh(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
    const out = await sh(process.execPath, ['out/main.js', join(app, 'weft.db')], app, { PG_URL, PG_SCHEMA: SCHEMA });
    expect(out.stdout.trim().split('\n')).toEqual(['sqlite 42', 'postgres 42']);
  }, 90_000);

  it("accepts the user's own pg.Pool, typed by @types/pg", async () => {
    await sh('npm', ['install', 'pg@^8.16.0', '@types/pg@^8.15.0', '--ignore-scripts', '--no-audit', '--no-fund'], app);
    writeFileSync(join(app, 'workflow.ts'), WORKFLOW);
    writeFileSync(join(app, 'pool.ts'), POOL);
    // The .d.ts files were checked above; this compile is about the user's pg.Pool fitting the option.
    writeFileSync(join(app, 'tsconfig.pool.json'), tsconfig(['workflow.ts', 'pool.ts'], true));
    await sh(process.execPath, [TSC, '-p', 'tsconfig.pool.json'], app);
    const out = await sh(process.execPath, ['out/pool.js'], app, { PG_URL, PG_SCHEMA: SCHEMA });
    expect(out.stdout.trim()).toBe('pool success 1');
  }, 90_000);

  it('installs the weft command, which finds its package.json and migrations', async () => {
    const version = await sh(join(app, 'node_modules/.bin/weft'), ['--version'], app);
    expect(version.stdout.trim()).toBe(VERSION);
    const migrate = await sh(join(app, 'node_modules/.bin/weft'), ['migrate', '--db', join(app, 'cli.db'), '--json'], app);
    expect(JSON.parse(migrate.stdout)).toMatchObject({ store: 'sqlite', applied: expect.arrayContaining([{ version: 1, name: '0001_init' }]) });
  });

  it("loads with require('weft') on this Node (require of ESM, Node 20.19+), as the same module as import", async () => {
    const script = "const a = require('weft'); import('weft').then((b) => console.log(typeof a.Weft, a.WeftError === b.WeftError));";
    const out = await sh(process.execPath, ['--input-type=commonjs', '-e', script], app);
    expect(out.stdout.trim()).toBe('function true');
  });
});
