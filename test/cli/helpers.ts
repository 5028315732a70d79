import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
/** The built CLI; WEFT_TEST_CLI points the tests at another build (e.g. an older commit's, to see a test fail there). */
export const CLI = process.env.WEFT_TEST_CLI ?? join(ROOT, 'dist/cli/main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI is tested as shipped: build it unless the global setup already did (WEFT_SKIP_BUILD=1 reuses dist/). */
export function ensureBuilt(): void {
  if (process.env.WEFT_SKIP_BUILD !== '1' && !process.env.WEFT_TEST_CLI) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
}

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: '1', WEFT_URL: '', WEFT_TOKEN: '', WEFT_DB: '', WEFT_DATABASE_URL: '', ...extra };
}

/** Starts the built CLI in a child process. */
export function spawnWeft(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, env: env(opts.env ?? {}) });
}

/**
 * Runs the CLI to completion. A command still running after `timeoutMs` is killed and the promise
 * rejects: a CLI that hangs is a failure, not a slow pass.
 */
export function weft(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawnWeft(args, opts);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`weft ${args.join(' ')} still running after ${opts.timeoutMs ?? 20_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 20_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** A long-running CLI process (dev, serve) and what it printed so far. */
export interface Running {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  err: () => string;
  /** Resolves once the output matches, or rejects when the process exits first or time runs out. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

export function startWeft(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Running {
  const child = spawnWeft(args, opts);
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const poke = () => waiters.forEach((w) => w());
  child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), poke()));
  child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), poke()));
  let closed = false;
  const exited = new Promise<number | null>((done) =>
    child.on('close', (code) => {
      closed = true;
      done(code);
      poke();
    }),
  );
  return {
    child,
    out: () => stdout,
    err: () => stderr,
    exited,
    waitFor(re, timeoutMs = 20_000) {
      return new Promise((done, fail) => {
        const timer = setTimeout(() => finish(new Error(`no ${re} after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`)), timeoutMs);
        const check = () => {
          const m = stdout.match(re) ?? stderr.match(re);
          if (m) finish(null, m);
          else if (closed) finish(new Error(`exited before ${re}\nstdout: ${stdout}\nstderr: ${stderr}`));
        };
        const finish = (err: Error | null, m?: RegExpMatchArray) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) fail(err);
          else done(m!);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
