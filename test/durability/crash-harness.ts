import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '../support/wait.js';

const CHILD = fileURLToPath(new URL('./chaos-child.mjs', import.meta.url));

export interface ChildEnv {
  STORE: 'sqlite' | 'postgres';
  LEDGER: string;
  TOTAL: string;
  DB_PATH?: string;
  PG_URL?: string;
  PG_SCHEMA?: string;
  CRASH_PROB?: string;
  /** Dies at the first pass of this crash point (with CRASH_PROB unset). */
  CRASH_AT?: string;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  sawReady: boolean;
  sawDone: boolean;
  /** True when the harness sent the SIGKILL (false: the child died on its own, e.g. at a crash point). */
  killedByHarness: boolean;
  stderr: string;
}

/** Spawns a chaos worker. `killAfterReadyMs` SIGKILLs it that long after it reports ready (null: never). */
export function runChild(env: ChildEnv, killAfterReadyMs: number | null, timeoutMs = 120_000): Promise<ChildExit> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [CHILD], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let sawReady = false;
    let sawDone = false;
    let killedByHarness = false;
    let stderr = '';
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`chaos child did not finish within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (!sawReady && chunk.includes('ready')) {
        sawReady = true;
        if (killAfterReadyMs !== null) {
          setTimeout(() => {
            if (child.exitCode === null && child.signalCode === null) {
              killedByHarness = true;
              child.kill('SIGKILL');
            }
          }, killAfterReadyMs);
        }
      }
      if (chunk.includes('done')) sawDone = true;
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, sawReady, sawDone, killedByHarness, stderr });
    });
  });
}

export interface LedgerReport {
  acked: Set<string>;
  executions: number;
  reexecutions: number;
  /** Executions of a step whose success had already been committed (must be empty). */
  violations: string[];
  /** Lifecycle callback deliveries by `runId/status`. */
  callbacks: Map<string, number>;
  /** Callback records (the held run's release) seen committed, by run id. */
  records: Map<string, number>;
}

/** Reads the side-effect ledger in order and finds steps that ran again after their completion committed. */
export function readLedger(path: string): LedgerReport {
  const acked = new Set<string>();
  const committed = new Set<string>();
  const seen = new Set<string>();
  const violations: string[] = [];
  let executions = 0;
  let reexecutions = 0;
  const callbacks = new Map<string, number>();
  const records = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [kind, key] = line.split('\t');
    if (!kind || !key) continue;
    if (kind === 'ack') acked.add(key);
    else if (kind === 'commit') committed.add(key);
    else if (kind === 'cb') bump(callbacks, key);
    else if (kind === 'rec') bump(records, key);
    else if (kind === 'exec') {
      executions++;
      if (seen.has(key)) reexecutions++;
      seen.add(key);
      // 'approve' and foreach items of 'fes' legitimately run twice (suspend, then resume); the first run commits as suspended, not success.
      if (committed.has(key)) violations.push(line);
    }
  }
  return { acked, executions, reexecutions, violations, callbacks, records };
}

export interface PhaseExit {
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

/**
 * Runs one phase of a crash test in a child process (`script` with `env`); resolves on its exit. With
 * `killWhen`, the child is SIGKILLed as soon as that condition holds (waited on, never timed). A guard
 * kills a child that outlives `guardMs`, so a hung phase fails the test instead of hanging it.
 */
export function runPhase(
  script: string,
  env: Record<string, string>,
  opts: { killWhen?: () => boolean; killWhat?: string; killWithinMs?: number; guardMs?: number } = {},
): Promise<PhaseExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    if (opts.killWhen) {
      void waitUntil(opts.killWhen, { timeout: opts.killWithinMs ?? 60_000, message: opts.killWhat ?? 'the kill point' })
        .then(() => child.kill('SIGKILL'))
        .catch(reject);
    }
    const guard = setTimeout(() => child.kill('SIGKILL'), opts.guardMs ?? 120_000);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stderr });
    });
  });
}
