import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { waitUntil } from '../support/wait.js';

export const PG_URL = process.env.WEFT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const CHILD = fileURLToPath(new URL('./worker-child.mjs', import.meta.url));

/** A uniquely named schema, dropped by `drop()`. */
export function pgSchema(tag: string): { schema: string; admin: pg.Pool; drop: () => Promise<void> } {
  const schema = `weft_w_${tag}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  return {
    schema,
    admin,
    drop: async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}

export function tempDir(tag: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `weft-${tag}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Proc {
  child: ChildProcess;
  pid: number;
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout: string[];
  stderr: () => string;
  /** Resolves when a stdout line satisfies `pred`. */
  waitFor(pred: (line: string) => boolean, timeoutMs?: number): Promise<string>;
}

/** Spawns a worker process running `script` (default: worker-child.mjs). */
export function spawnWorker(env: Record<string, string>, script: string = CHILD): Proc {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  let stderr = '';
  const listeners = new Set<(line: string) => void>();
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      stdout.push(line);
      for (const l of [...listeners]) l(line);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (pred: (line: string) => boolean, timeoutMs = 60_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const hit = stdout.find(pred);
      if (hit !== undefined) return resolve(hit);
      const timer = setTimeout(() => {
        listeners.delete(on);
        reject(new Error(`timed out waiting for output of ${child.pid}; stderr:\n${stderr}`));
      }, timeoutMs);
      const on = (line: string): void => {
        if (!pred(line)) return;
        clearTimeout(timer);
        listeners.delete(on);
        resolve(line);
      };
      listeners.add(on);
      void exited.then(() => {
        if (!listeners.has(on)) return;
        clearTimeout(timer);
        listeners.delete(on);
        reject(new Error(`process ${child.pid} exited while waiting; stderr:\n${stderr}`));
      });
    });
  return {
    child,
    pid: child.pid!,
    ready: waitFor((l) => l === 'ready').then(() => undefined),
    exited,
    stdout,
    stderr: () => stderr,
    waitFor,
  };
}

/** SIGTERM (graceful stop) and wait; SIGKILL after `graceMs`. */
export async function stopProc(p: Proc, graceMs = 8000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGCONT');
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(t);
}

// ---- ledger ---------------------------------------------------------------------------------------

export interface Execution {
  key: string;
  pid: number;
  t0: number;
  t1: number | null;
  kind: 'E' | 'A' | 'F' | 'open';
}

export interface Ledger {
  executions: Execution[];
  commits: Map<string, number>;
  leaseLost: { runId: string; pid: number; kind: string; t: number }[];
}

export function readLedgers(dir: string): Ledger {
  const executions: Execution[] = [];
  const open = new Map<string, Execution>();
  const commits = new Map<string, number>();
  const leaseLost: Ledger['leaseLost'] = [];
  for (const f of readdirSync(dir)) {
    if (!f.startsWith('w-')) continue;
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const [kind, key, pidText, a, b] = line.split('\t');
      if (!kind || !key) continue;
      const pid = Number(pidText);
      if (kind === 'S') {
        const e: Execution = { key, pid, t0: Number(a), t1: null, kind: 'open' };
        executions.push(e);
        open.set(`${key}\u0000${pid}\u0000${a}`, e);
      } else if (kind === 'E' || kind === 'A' || kind === 'F') {
        const e = open.get(`${key}\u0000${pid}\u0000${a}`);
        if (e) {
          e.t1 = Number(b);
          e.kind = kind;
        }
      } else if (kind === 'C') {
        const t = Number(a);
        const prev = commits.get(key);
        if (prev === undefined || t < prev) commits.set(key, t);
      } else if (kind === 'L') {
        leaseLost.push({ runId: key, pid, kind: a ?? '', t: Number(b) });
      }
    }
  }
  return { executions, commits, leaseLost };
}

/** Per pid: windows when it was stopped (SIGSTOP..SIGCONT) and when it was killed. */
export class ProcessEvents {
  readonly stops = new Map<number, [number, number][]>();
  readonly kills = new Map<number, number>();
  stopped(pid: number, from: number, to: number): void {
    const list = this.stops.get(pid) ?? [];
    list.push([from, to]);
    this.stops.set(pid, list);
  }
  killed(pid: number, at: number): void {
    this.kills.set(pid, at);
  }
}

/**
 * Active intervals of an execution: [t0, end] minus the windows its process was stopped. An aborted
 * execution's last stretch after a SIGCONT is dropped: that is the zombie waking up, looking at its
 * signal and giving up, with no effect. An execution that never ended ends when its process was killed.
 */
export function activeIntervals(e: Execution, ev: ProcessEvents): [number, number][] {
  let end = e.t1 ?? ev.kills.get(e.pid) ?? Infinity;
  const stops = (ev.stops.get(e.pid) ?? []).filter(([a, b]) => b > e.t0 && a < end).sort((x, y) => x[0] - y[0]);
  if (e.kind === 'A' && stops.length) {
    const last = stops[stops.length - 1]!;
    if (last[1] <= end) end = Math.min(end, last[0]);
  }
  const out: [number, number][] = [];
  let from = e.t0;
  for (const [a, b] of stops) {
    if (a >= end) break;
    if (a > from) out.push([from, a]);
    from = Math.max(from, b);
  }
  if (end > from) out.push([from, end]);
  return out;
}

/** Pairs of executions of one step, in different processes, active at the same time. */
export function overlaps(executions: Execution[], ev: ProcessEvents): string[] {
  const byKey = new Map<string, Execution[]>();
  for (const e of executions) {
    const list = byKey.get(e.key) ?? [];
    list.push(e);
    byKey.set(e.key, list);
  }
  const out: string[] = [];
  for (const [key, list] of byKey) {
    if (list.length < 2) continue;
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const x = list[i]!;
        const y = list[j]!;
        if (x.pid === y.pid) continue;
        const ix = activeIntervals(x, ev);
        const iy = activeIntervals(y, ev);
        if (ix.some(([a, b]) => iy.some(([c, d]) => a < d && c < b))) {
          out.push(`${key}: ${x.pid} ${x.kind} [${x.t0},${x.t1}] vs ${y.pid} ${y.kind} [${y.t0},${y.t1}]`);
        }
      }
    }
  }
  return out;
}

/** Executions that started after the step's success was committed. */
export function reruns(l: Ledger): string[] {
  const out: string[] = [];
  for (const e of l.executions) {
    const c = l.commits.get(e.key);
    if (c !== undefined && e.t0 > c) out.push(`${e.key} started at ${e.t0} by ${e.pid}, committed at ${c}`);
  }
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls the ledgers until an execution matches; returns it. */
export function waitExecution(dir: string, pred: (e: Execution) => boolean, timeoutMs = 30_000): Promise<Execution> {
  return waitUntil(() => readLedgers(dir).executions.find(pred), { timeout: timeoutMs, message: 'a ledger entry' });
}

/** Inserts a pending run directly, as startAsync from any process would (the trigger notifies workers). */
export async function insertPendingRun(admin: pg.Pool, schema: string, runId: string, workflowId: string, input: unknown): Promise<void> {
  const now = Date.now();
  await admin.query(
    `INSERT INTO "${schema}".runs (id, workflow_id, status, input, state, lease_epoch, priority, created_at, updated_at)
     VALUES ($1, $2, 'pending', $3, '{}', 1, 0, $4, $4)`,
    [runId, workflowId, JSON.stringify(input), now],
  );
}
