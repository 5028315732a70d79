import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Weft, sqliteStore } from '../../src/index.js';
import { makeFixtures } from '../server/fixtures.js';
import { startHarness, type Harness } from '../server/harness.js';
import { rawRequest } from '../server/raw-request.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli/main.js');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (dist/cli/main.js) in a child process. */
function weft(args: string[], cwd = ROOT, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', WEFT_URL: '', WEFT_TOKEN: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

let h: Harness;
let url: string;
beforeAll(async () => {
  // The CLI is tested as shipped: build it first (fails the suite if the build fails).
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  expect(existsSync(CLI)).toBe(true);
  h = await startHarness();
  url = h.url;
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('weft start', () => {
  it('starts a run with --input and shows its steps live', async () => {
    const r = await weft(['start', 'add', '--input', '{"n":1}', '--url', url]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('success {"n":4}');
    expect(r.stderr).toMatch(/▶ inc started[\s\S]*✓ inc[\s\S]*▶ double started[\s\S]*✓ double/);
  });

  it('prints the result as JSON with --json, and fails with exit 1 on a failed run', async () => {
    const ok = await weft(['start', 'add', '--input', '{"n":2}', '--url', url, '--json']);
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: 'success', result: { n: 6 } });
    const failed = await weft(['start', 'fails', '--input', '{}', '--url', url]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('failed: it broke');
  });

  it('reports bad input with the engine error code, and usage errors with exit 2', async () => {
    const bad = await weft(['start', 'add', '--input', '{"n":"x"}', '--url', url, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stderr).error.code).toBe('VALIDATION_FAILED');
    expect((await weft(['start', 'add', '--input', '{nope', '--url', url])).code).toBe(2);
    expect((await weft(['start'])).code).toBe(2);
    expect((await weft(['frobnicate'])).code).toBe(2);
    expect((await weft(['runs', 'list', '--bogus-flag'])).code).toBe(2);
  });
});

describe('weft runs', () => {
  it('lists runs as JSON and as a table, with filters', async () => {
    const json = await weft(['runs', 'list', '--json', '--url', url, '--workflow', 'add']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.total).toBeGreaterThanOrEqual(2);
    expect(parsed.runs.every((r: { workflowId: string }) => r.workflowId === 'add')).toBe(true);
    const human = await weft(['runs', 'list', '--url', url, '--status', 'failed']);
    expect(human.stdout).toMatch(/RUN\s+WORKFLOW\s+STATUS/);
    expect(human.stdout).toContain('fails');
  });

  it('shows, resumes and cancels runs', async () => {
    const run = await h.weft.getWorkflow('approve').createRun();
    await run.start({ inputData: { amount: 1 } });
    const show = await weft(['runs', 'show', run.runId, '--url', url]);
    expect(show.stdout).toContain('suspended at ask');
    const resumed = await weft(['runs', 'resume', run.runId, '--data', '{"approved":true}', '--wait', '--url', url, '--json']);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'success', result: { approved: true } });
    const slow = await h.weft.getWorkflow('slow').createRun();
    await slow.startAsync({ inputData: { ms: 20_000 } });
    const canceled = await weft(['runs', 'cancel', slow.runId, '--url', url]);
    expect(canceled.stdout).toContain('canceled');
    const missing = await weft(['runs', 'show', 'ghost', '--url', url]);
    expect(missing.code).toBe(2);
  });

  it('fails clearly when no server is reachable', async () => {
    const r = await weft(['runs', 'list', '--url', 'http://127.0.0.1:1', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr).error.code).toBe('SERVER_UNREACHABLE');
  });
});

describe('weft migrate and prune (direct store access)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'weft-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrate creates and migrates the SQLite file', async () => {
    const db = join(dir, 'm.db');
    const r = await weft(['migrate', '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('up to date');
    expect(existsSync(db)).toBe(true);
    expect(JSON.parse((await weft(['migrate', '--db', db, '--json'])).stdout)).toEqual({ migrated: true, store: 'sqlite' });
  });

  it('prune deletes finished runs older than the duration and keeps the rest', async () => {
    const db = join(dir, 'p.db');
    const engine = new Weft({ workflows: makeFixtures(), store: sqliteStore({ path: db }) });
    for (let i = 0; i < 3; i++) await (await engine.getWorkflow('add').createRun()).start({ inputData: { n: i } });
    await (await engine.getWorkflow('approve').createRun({ runId: 'keep-suspended' })).start({ inputData: { amount: 1 } });
    await engine.stop();

    const none = JSON.parse((await weft(['prune', '--older-than', '1h', '--db', db, '--json'])).stdout);
    expect(none).toMatchObject({ matched: 0, deleted: 0 });
    await new Promise((r) => setTimeout(r, 20));
    const dry = JSON.parse((await weft(['prune', '--older-than', '10ms', '--dry-run', '--db', db, '--json'])).stdout);
    expect(dry).toMatchObject({ dryRun: true, matched: 3, deleted: 0 });
    const real = await weft(['prune', '--older-than', '10ms', '--db', db]);
    expect(real.stdout).toContain('deleted 3 finished run(s)');

    const check = sqliteStore({ path: db });
    await check.open();
    const left = await check.listRuns({});
    expect(left.runs.map((r) => r.runId)).toEqual(['keep-suspended']);
    await check.close();
    expect((await weft(['prune', '--older-than', 'soon', '--db', db])).code).toBe(2);
    expect((await weft(['prune', '--db', db])).code).toBe(2);
  });
});

describe('weft dev: which hosts and origins it serves', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'weft-cli-dev-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts `weft dev` on a free port; resolves with its URL once its banner is out, and a stop function. */
  function dev(args: string[], env: Record<string, string> = {}): Promise<{ url: string; stdout: () => string; stop: () => Promise<void> }> {
    return new Promise((ready, fail) => {
      const child = spawn(process.execPath, [CLI, 'dev', '--port', '0', '--db', join(dir, `${args.length}-${Object.keys(env).length}.db`), ...args], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1', WEFT_TOKEN: '', WEFT_ALLOWED_HOSTS: '', WEFT_CORS_ORIGINS: '', ...env },
      });
      let out = '';
      let err = '';
      const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // The banner ends with the Ctrl-C hint: everything before it has been printed.
        const m = /api\s+(http:\/\/\S+)\/api[\s\S]*Ctrl-C/.exec(out);
        if (m?.[1]) ready({ url: m[1], stdout: () => out, stop: () => (child.kill('SIGTERM'), exited) });
      });
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.once('close', (code) => fail(new Error(`weft dev exited (${code}) before serving: ${err}`)));
    });
  }

  const preflight = (url: string, origin: string) =>
    fetch(`${url}/api/weft/runs`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });

  it('--allow-host and --cors-origin (repeatable) reach the server', async () => {
    const s = await dev(['--allow-host', 'weft.test', '--allow-host', 'other.test', '--cors-origin', 'http://studio.test:4111']);
    try {
      expect(s.stdout()).toContain('hosts      also weft.test, other.test');
      for (const host of ['weft.test', 'other.test:1', 'localhost']) expect((await rawRequest(`${s.url}/api/weft/runs`, { headers: { host } })).status, host).toBe(200);
      expect((await rawRequest(`${s.url}/api/weft/runs`, { headers: { host: 'attacker.example' } })).status).toBe(421);
      const ok = await preflight(s.url, 'http://studio.test:4111');
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe('http://studio.test:4111');
      expect((await preflight(s.url, 'http://evil.example')).status).toBe(403);
    } finally {
      await s.stop();
    }
  });

  it('reads WEFT_ALLOWED_HOSTS and WEFT_CORS_ORIGINS (comma-separated) when the flags are absent', async () => {
    const s = await dev([], { WEFT_ALLOWED_HOSTS: 'weft.test, other.test', WEFT_CORS_ORIGINS: 'http://studio.test:4111,https://ops.example.com' });
    try {
      expect((await rawRequest(`${s.url}/api/weft/runs`, { headers: { host: 'other.test' } })).status).toBe(200);
      expect((await preflight(s.url, 'https://ops.example.com')).status).toBe(204);
    } finally {
      await s.stop();
    }
  });

  it('refuses a wildcard or malformed origin as a usage error', async () => {
    const r = await weft(['dev', '--port', '0', '--db', join(dir, 'bad.db'), '--cors-origin', '*']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('corsOrigins');
  });
});
