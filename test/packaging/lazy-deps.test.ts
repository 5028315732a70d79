import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `import 'weft'` must not load the PostgreSQL driver, the HTTP server, OpenTelemetry or zod until a
 * program uses them (docs/performance.md, import time). A child process runs the built package with a
 * module hook that logs every module it loads; the test reads that log.
 */
const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const DIST = pathToFileURL(join(ROOT, 'dist/index.js')).href;
const PG_URL = process.env.WEFT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const tmp = mkdtempSync(join(tmpdir(), 'weft-lazy-'));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.LAZY_LOG, r.url + '\\n');
  return r;
}`;

const REGISTER = `
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
register(pathToFileURL(process.env.LAZY_HOOKS).href);
// CommonJS requires (createRequire) do not go through the ESM hooks: log them too.
import Module from 'node:module';
import { appendFileSync } from 'node:fs';
const load = Module._load;
Module._load = function (request, ...rest) {
  appendFileSync(process.env.LAZY_LOG, 'cjs:' + request + '\\n');
  return load.call(this, request, ...rest);
};`;

async function loaded(name: string, program: string): Promise<string[]> {
  const log = join(tmp, `${name}.log`);
  const hooks = join(tmp, 'hooks.mjs');
  const register = join(tmp, 'register.mjs');
  const main = join(tmp, `${name}.mjs`);
  writeFileSync(hooks, HOOKS);
  writeFileSync(register, REGISTER);
  writeFileSync(log, '');
  writeFileSync(main, program);
  await run(process.execPath, ['--import', pathToFileURL(register).href, main], {
    cwd: ROOT,
    env: { ...process.env, LAZY_LOG: log, LAZY_HOOKS: hooks },
  });
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

const packages = (urls: string[]): Set<string> =>
  new Set(urls.map((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1] ?? (u.startsWith('cjs:') && !u.startsWith('cjs:.') ? u.slice(4) : '')).filter(Boolean));

describe('import weft loads only what is used', () => {
  it('importing the package loads no dependency at all: drivers and croner wait for first use', async () => {
    const urls = await loaded('import-only', `await import(${JSON.stringify(DIST)});\n`);
    const seen = packages(urls);
    for (const lazy of ['better-sqlite3', 'bindings', 'croner', 'pg', 'hono', '@hono/node-server', '@opentelemetry/api', 'zod']) expect(seen.has(lazy), lazy).toBe(false);
    // The package's own modules are loaded (the hook sees them), so the check above can see a package.
    expect(urls.some((u) => u.endsWith('/dist/index.js'))).toBe(true);
  });

  it('a scheduled workflow loads croner when it is defined, and its schedule parses', async () => {
    const urls = await loaded(
      'cron',
      `import { Weft, createWorkflow, createStep, memoryStore } from ${JSON.stringify(DIST)};
const any = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } };
const step = createStep({ id: 's', inputSchema: any, outputSchema: any, execute: async () => ({}) });
const wf = createWorkflow({ id: 'cron-lazy', inputSchema: any, outputSchema: any, schedule: { cron: '*/5 * * * *' } }).then(step).commit();
const weft = new Weft({ store: memoryStore(), workflows: { wf } });
await weft.start();
const [s] = await weft.listSchedules();
if (!s || !(s.nextFireAt instanceof Date)) throw new Error('no schedule: ' + JSON.stringify(s));
await weft.stop();
`,
    );
    expect(packages(urls).has('croner')).toBe(true);
  });

  it('a workflow run on the SQLite store loads neither pg, hono, OpenTelemetry nor zod', async () => {
    const urls = await loaded(
      'sqlite',
      `import { Weft, createWorkflow, createStep, sqliteStore } from ${JSON.stringify(DIST)};
const any = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } };
const step = createStep({ id: 's', inputSchema: any, outputSchema: any, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
const wf = createWorkflow({ id: 'lazy', inputSchema: any, outputSchema: any }).then(step).commit();
const weft = new Weft({ store: sqliteStore({ path: ${JSON.stringify(join(tmp, 'lazy.db'))} }), workflows: { wf } });
await weft.start();
const run = await wf.createRun();
const r = await run.start({ inputData: { n: 1 } });
if (r.status !== 'success' || r.result.n !== 2) throw new Error('run failed: ' + JSON.stringify(r));
await weft.stop();
`,
    );
    const seen = packages(urls);
    expect(seen.has('better-sqlite3')).toBe(true);
    for (const lazy of ['pg', 'hono', '@hono/node-server', '@opentelemetry/api', 'zod']) expect(seen.has(lazy), lazy).toBe(false);
  });

  it('the PostgreSQL store loads pg when it opens, and works', async () => {
    const schema = `weft_lazy_${process.pid}`;
    const urls = await loaded(
      'postgres',
      `import { Weft, createWorkflow, createStep, postgresStore } from ${JSON.stringify(DIST)};
const any = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } };
const step = createStep({ id: 's', inputSchema: any, outputSchema: any, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
const wf = createWorkflow({ id: 'lazy', inputSchema: any, outputSchema: any }).then(step).commit();
const weft = new Weft({ store: postgresStore({ connectionString: ${JSON.stringify(PG_URL)}, schema: ${JSON.stringify(schema)} }), workflows: { wf } });
await weft.start();
const run = await wf.createRun();
const r = await run.start({ inputData: { n: 1 } });
if (r.status !== 'success' || r.result.n !== 2) throw new Error('run failed: ' + JSON.stringify(r));
await weft.stop();
`,
    );
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
    const seen = packages(urls);
    expect(seen.has('pg')).toBe(true);
    expect(seen.has('zod')).toBe(false);
  });
});
