import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, startWeft, weft } from './helpers.js';

/** `weft serve` / `weft dev` startup failures and shutdown, on real processes. */

let dir: string;
let registry: string;
let taken: Server;
let takenPort: number;

/**
 * A --workflows module as a user would write it, in plain JavaScript against the built package. The
 * schema is a minimal Standard Schema, so the module needs nothing but weft.
 */
function writeRegistry(path: string): void {
  const weftUrl = pathToFileURL(join(dirname(CLI), '..', 'index.js')).href;
  writeFileSync(
    path,
    `import { createStep, createWorkflow } from ${JSON.stringify(weftUrl)};
const any = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } };
const nap = createStep({ id: 'nap', inputSchema: any, outputSchema: any, execute: async ({ inputData }) => {
  await new Promise((r) => setTimeout(r, inputData.ms));
  return { slept: inputData.ms };
} });
export const workflows = { nap: createWorkflow({ id: 'nap', inputSchema: any, outputSchema: any }).then(nap).commit() };
`,
  );
}

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'weft-cli-serve-'));
  registry = join(dir, 'workflows.mjs');
  writeRegistry(registry);
  taken = createServer();
  await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
  takenPort = (taken.address() as { port: number }).port;
}, 120_000);

afterAll(async () => {
  await new Promise((done) => taken?.close(done));
  rmSync(dir, { recursive: true, force: true });
});

describe('startup failures exit 1 with the error code, after closing what was opened', { timeout: 60_000 }, () => {
  it.each(['serve', 'dev'])('%s on a port already in use says so, suggests --port, closes the store and exits', async (command) => {
    const db = join(dir, `busy-${command}.db`);
    const args = command === 'serve' ? ['serve', '--workflows', registry] : ['dev'];
    const r = await weft([...args, '--port', String(takenPort), '--db', db]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PORT_IN_USE');
    expect(r.stderr).toContain(`127.0.0.1:${takenPort} is already in use`);
    expect(r.stderr).toContain('--port');
    // The store had been opened (and migrated) before the listen failed; a clean close checkpoints and removes the WAL.
    expect(existsSync(db)).toBe(true);
    expect(existsSync(`${db}-wal`)).toBe(false);
    const json = await weft([...args, '--port', String(takenPort), '--db', db, '--json']);
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'PORT_IN_USE', message: expect.stringContaining('--port') } });
  });

  it('a --workflows module that exports no registry, or cannot be found', async () => {
    const empty = join(dir, 'empty.mjs');
    writeFileSync(empty, 'export const x = 1;\n');
    const bad = await weft(['serve', '--workflows', empty, '--port', '0', '--db', join(dir, 'm.db')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/must export `workflows`.*\(BAD_WORKFLOWS_MODULE\)/);
    const missing = await weft(['serve', '--workflows', join(dir, 'nope.js'), '--port', '0', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr).error.code).toBe('BAD_WORKFLOWS_MODULE');
  });

  it('a TypeScript --workflows module gets told how to run TypeScript', async () => {
    const ts = join(dir, 'workflows.ts');
    writeFileSync(ts, 'export const workflows: Record<string, unknown> = {};\n');
    const r = await weft(['serve', '--workflows', ts, '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('BAD_WORKFLOWS_MODULE');
    expect(r.stderr).toContain('Compile it first');
    expect(r.stderr).toContain('node --import tsx');
  });

  it('a store that cannot open, or that a newer weft migrated', async () => {
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, 'this is not a SQLite database, whatever its name says. '.repeat(4));
    const corrupt = await weft(['serve', '--workflows', registry, '--port', '0', '--db', garbage]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toContain('(STORE_CORRUPT)');

    const future = join(dir, 'future.db');
    const db = new Database(future);
    db.exec('CREATE TABLE weft_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    db.prepare('INSERT INTO weft_migrations VALUES (999, ?, 0)').run('from-the-future');
    db.close();
    const migration = await weft(['dev', '--port', '0', '--db', future]);
    expect(migration.code).toBe(1);
    expect(migration.stderr).toContain('(STORE_VERSION)');
  });
});

describe('stopping', { timeout: 60_000 }, () => {
  it('SIGTERM lets the in-flight step finish, closes the store and exits 0', async () => {
    const db = join(dir, 'stop.db');
    const server = startWeft(['serve', '--workflows', registry, '--port', '0', '--db', db]);
    const [, url] = await server.waitFor(/api\s+(http:\/\/\S+)\/api/);
    const res = await fetch(`${url}/api/weft/workflows/nap/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ runId: 'r1', inputData: { ms: 400 } }) });
    expect(res.status).toBe(202);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.out()).toContain('stopping');
    expect(existsSync(`${db}-wal`)).toBe(false);
    const check = new Database(db, { readonly: true });
    const row = check.prepare('SELECT status FROM runs WHERE id = ?').get('r1') as { status: string } | undefined;
    check.close();
    expect(row?.status).toBe('success');
  });
});
