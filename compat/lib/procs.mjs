/**
 * Real processes for the compat tests: `weft serve` (the built CLI), a Mastra server for comparison,
 * and a static server for Mastra Studio's bundle. Each is started on a free loopback port and waited
 * for by polling, never by sleeping.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const WEFT_WORKFLOWS = join(here, '..', 'workflows', 'weft.mjs');
const MASTRA_SERVER = join(here, '..', 'workflows', 'mastra-server.mjs');

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function waitFor(what, check, { timeoutMs = 20_000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function child(cmd, args, env = {}) {
  const p = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  p.stdout.on('data', (d) => (output += d));
  p.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => p.once('exit', (code, signal) => resolve({ code, signal })));
  return { proc: p, exited, output: () => output };
}

async function stop(c, signal = 'SIGTERM') {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill(signal);
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), 5000);
  await c.exited;
  clearTimeout(timer);
}

/**
 * `weft serve` with the compat workflows on `store`: `{ kind: 'sqlite', path }` or
 * `{ kind: 'postgres', url }`. Returns the base URL and controls to stop, kill -9 and restart it on
 * the same port and store.
 */
export async function startWeft({ store, port, token, corsOrigins = [] }) {
  port ??= await freePort();
  const args = [CLI, 'serve', '--workflows', WEFT_WORKFLOWS, '--port', String(port)];
  if (store.kind === 'sqlite') args.push('--db', store.path);
  else args.push('--database-url', store.url);
  if (token) args.push('--token', token);
  for (const o of corsOrigins) args.push('--cors-origin', o);
  const url = `http://127.0.0.1:${port}`;
  let c;
  const launch = async () => {
    c = child(process.execPath, args);
    await waitFor(`weft serve on ${url}`, async () => {
      if (c.proc.exitCode !== null) throw new Error(`weft serve exited: ${c.output()}`);
      const res = await fetch(`${url}/api/workflows`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      return res.ok;
    });
  };
  await launch();
  return {
    url,
    port,
    output: () => c.output(),
    stop: () => stop(c),
    async kill9() {
      c.proc.kill('SIGKILL');
      await c.exited;
    },
    restart: launch,
  };
}

export async function startMastra() {
  const port = await freePort();
  const c = child(process.execPath, [MASTRA_SERVER, String(port)]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor('the Mastra server', async () => {
    if (c.proc.exitCode !== null) throw new Error(`the Mastra server exited: ${c.output()}`);
    return (await fetch(`${url}/api/workflows`)).ok;
  }, { timeoutMs: 60_000 });
  return { url, stop: () => stop(c) };
}

export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
