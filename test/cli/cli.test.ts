import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NonRetryableError, Weft, createStep, createWorkflow, sqliteStore } from '../../src/index.js';
import { makeFixtures } from '../server/fixtures.js';
import { rawRequest } from '../server/raw-request.js';
import { startHarness, type Harness } from '../server/harness.js';
import { CLI, ROOT, ensureBuilt, weft } from './helpers.js';

/** A workflow that fails until the test repairs it, for `runs retry`. */
let broken = true;
const flaky = createWorkflow({ id: 'flaky', inputSchema: z.object({}), outputSchema: z.object({ ok: z.boolean() }) })
  .then(
    createStep({
      id: 'call',
      inputSchema: z.object({}),
      outputSchema: z.object({ ok: z.boolean() }),
      execute: async () => {
        if (broken) throw new NonRetryableError('service down');
        return { ok: true };
      },
    }),
  )
  .commit();

let h: Harness;
let url: string;
beforeAll(async () => {
  ensureBuilt();
  h = await startHarness({ workflows: { ...makeFixtures(), flaky } });
  url = h.url;
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('weft start', { timeout: 60_000 }, () => {
  it('starts a run with --input and shows its steps live', async () => {
    const r = await weft(['start', 'add', '--input', '{"n":1}', '--url', url]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('success {"n":4}');
    expect(r.stderr).toMatch(/add run \S+\n[\s\S]*▶ inc started[\s\S]*✓ inc[\s\S]*▶ double started[\s\S]*✓ double/);
  });

  it('prints the result as JSON with --json, and fails with exit 1 on a failed run', async () => {
    const ok = await weft(['start', 'add', '--input', '{"n":2}', '--url', url, '--json']);
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: 'success', result: { n: 6 } });
    const failed = await weft(['start', 'fails', '--input', '{}', '--url', url]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('failed: it broke');
  });

  it('reports bad input with the engine error code and exit 1', async () => {
    const bad = await weft(['start', 'add', '--input', '{"n":"x"}', '--url', url, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stderr).error.code).toBe('VALIDATION_FAILED');
  });

  it('an unknown workflow: no run id printed, the error lists the workflows the server has', async () => {
    const r = await weft(['start', 'nope', '--url', url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/run [0-9a-f-]{36}/);
    expect(r.stderr).toContain('no workflow "nope"; the server has: add, approve, slow, fails, html, flaky (WORKFLOW_NOT_FOUND)');
  });

  it('a suspended run shows its payload, the resume schema as JSON Schema, and how to resume', async () => {
    const r = await weft(['start', 'approve', '--input', '{"amount":7}', '--url', url]);
    expect(r.code).toBe(0);
    const runId = /approve run (\S+)/.exec(r.stderr)?.[1];
    expect(runId).toBeDefined();
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('suspended at ask');
    expect(lines[1]).toBe('  payload        {"question":"approve 7?"}');
    expect(lines[2]).toMatch(/^ {2}resume schema {2}\{/);
    expect(JSON.parse(lines[2]!.replace(/^ {2}resume schema {2}/, ''))).toMatchObject({ type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'] });
    expect(lines[3]).toBe(`resume with: weft runs resume ${runId} --data '<json>'`);
  });
});

describe('weft runs', { timeout: 60_000 }, () => {
  it('lists runs as JSON and as a table, with filters and a line that says how to page', async () => {
    for (let i = 0; i < 3; i++) await (await h.weft.getWorkflow('add').createRun()).start({ inputData: { n: i } });
    const json = await weft(['runs', 'list', '--json', '--url', url, '--workflow', 'add']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout);
    const total = parsed.total as number;
    expect(total).toBeGreaterThanOrEqual(5);
    expect(parsed.runs.every((r: { workflowId: string }) => r.workflowId === 'add')).toBe(true);
    const human = await weft(['runs', 'list', '--url', url, '--status', 'failed']);
    expect(human.stdout).toMatch(/RUN\s+WORKFLOW\s+STATUS/);
    expect(human.stdout).toContain('fails');

    const pages = Math.ceil(total / 2);
    const first = await weft(['runs', 'list', '--url', url, '--workflow', 'add', '--per-page', '2']);
    expect(first.stdout).toContain(`runs 1-2 of ${total} (page 1 of ${pages}; next: --page 1 --per-page 2)`);
    const last = await weft(['runs', 'list', '--url', url, '--workflow', 'add', '--per-page', '2', '--page', String(pages - 1)]);
    expect(last.stdout).toMatch(new RegExp(`of ${total} \\(page ${pages} of ${pages}\\)\\n$`));
  });

  it('shows and resumes runs; resume --wait prints the outcome', async () => {
    const run = await h.weft.getWorkflow('approve').createRun();
    await run.start({ inputData: { amount: 1 } });
    const show = await weft(['runs', 'show', run.runId, '--url', url]);
    expect(show.stdout).toContain('suspended at ask');
    expect(show.stdout).toContain('resume schema');
    const resumed = await weft(['runs', 'resume', run.runId, '--data', '{"approved":true}', '--wait', '--url', url]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout.trim()).toBe('success {"approved":true}');

    const other = await h.weft.getWorkflow('approve').createRun();
    await other.start({ inputData: { amount: 2 } });
    const json = await weft(['runs', 'resume', other.runId, '--data', '{"approved":false}', '--wait', '--url', url, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'success', result: { approved: false } });
  });

  it('cancels runs', async () => {
    const slow = await h.weft.getWorkflow('slow').createRun();
    await slow.startAsync({ inputData: { ms: 20_000 } });
    const canceled = await weft(['runs', 'cancel', slow.runId, '--url', url]);
    expect(canceled.stdout).toContain('canceled');
  });

  it('retries a failed run; retry --wait prints the outcome', async () => {
    broken = true;
    const run = await h.weft.getWorkflow('flaky').createRun();
    expect((await run.start({ inputData: {} })).status).toBe('failed');
    const again = await weft(['runs', 'retry', run.runId, '--wait', '--url', url]);
    expect(again.code).toBe(1);
    expect(again.stdout.trim()).toBe('failed: service down');
    broken = false;
    const fixed = await weft(['runs', 'retry', run.runId, '--wait', '--url', url]);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout.trim()).toBe('success {"ok":true}');
  });

  it('a run that does not exist is RUN_NOT_FOUND with exit 1, not a usage error', async () => {
    for (const args of [['show', 'ghost'], ['cancel', 'ghost'], ['resume', 'ghost']]) {
      const r = await weft(['runs', ...args, '--url', url, '--json']);
      expect(r.code, args.join(' ')).toBe(1);
      expect(JSON.parse(r.stderr).error).toEqual({ code: 'RUN_NOT_FOUND', message: 'run "ghost" does not exist' });
    }
  });

  it('fails clearly when no server is reachable', async () => {
    const r = await weft(['runs', 'list', '--url', 'http://127.0.0.1:1', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr).error.code).toBe('SERVER_UNREACHABLE');
    const human = await weft(['runs', 'list', '--url', 'http://127.0.0.1:1']);
    expect(human.stderr).toContain('--url or WEFT_URL');
  });
});

/** Runs the CLI under a pseudo-terminal (util-linux `script`), where progress lines are shown. */
function onTty(args: string[]): string {
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return execFileSync('script', ['-qec', quoted, '/dev/null'], { env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8' });
}

describe('weft migrate and prune (direct store access)', { timeout: 60_000 }, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'weft-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrate lists the migrations it applied, then says the store is up to date', async () => {
    const db = join(dir, 'm.db');
    const r = await weft(['migrate', '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^applied \d+ migrations to SQLite file .*m\.db:\n {2}0001_init\n {2}0002_\w+\n[\s\S]*now at schema version \d+\n$/);
    expect(r.stderr).toBe('');
    expect(existsSync(db)).toBe(true);
    const again = await weft(['migrate', '--db', db]);
    expect(again.stdout).toMatch(/is up to date \(schema version \d+\)/);
    const json = JSON.parse((await weft(['migrate', '--db', db, '--json'])).stdout);
    expect(json).toMatchObject({ migrated: true, store: 'sqlite', applied: [] });
    const fresh = JSON.parse((await weft(['migrate', '--db', join(dir, 'm2.db'), '--json'])).stdout);
    expect(fresh.applied[0]).toEqual({ version: 1, name: '0001_init' });
    expect(fresh.applied).toHaveLength(fresh.version);
  });

  it('migrate and prune show progress on a terminal, and nothing extra when piped', async () => {
    const tty = onTty(['migrate', '--db', join(dir, 'tty.db')]);
    expect(tty).toContain('migrating SQLite file');
    expect(tty).toContain('0001_init');
    const pruned = onTty(['prune', '--older-than', '1h', '--db', join(dir, 'tty.db')]);
    expect(pruned).toContain('scanning finished runs');
    const piped = await weft(['prune', '--older-than', '1h', '--db', join(dir, 'tty.db')]);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toBe(`deleted 0 finished run(s) older than 1h from SQLite file ${join(dir, 'tty.db')}\n`);
  });

  it('prune deletes finished runs older than the duration and keeps the rest', async () => {
    const db = join(dir, 'p.db');
    const engine = new Weft({ workflows: makeFixtures(), store: sqliteStore({ path: db }) });
    for (let i = 0; i < 3; i++) await (await engine.getWorkflow('add').createRun()).start({ inputData: { n: i } });
    await (await engine.getWorkflow('approve').createRun({ runId: 'keep-suspended' })).start({ inputData: { amount: 1 } });
    await engine.stop();

    const none = JSON.parse((await weft(['prune', '--older-than', '1h', '--db', db, '--json'])).stdout);
    expect(none).toMatchObject({ matched: 0, deleted: 0 });
    // The runs must be older than the 10ms cutoff: this wait is the precondition, not the assertion.
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
