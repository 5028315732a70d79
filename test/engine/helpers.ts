import { afterEach } from 'vitest';
import { z } from 'zod';
import { Weft, memoryStore, createStep } from '../../src/index.js';
import type { AnyWorkflow, WeftOptions, WorkflowResult } from '../../src/index.js';
import { waitUntil } from '../support/wait.js';

/** A promise the test resolves by hand (to hold a step at a known point). */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (err: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a truthy value (or throws after `timeoutMs`): waitUntil, shorter to call. */
export function until<T>(probe: () => Promise<T> | T, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  return waitUntil(probe, { timeout: timeoutMs, message: what, interval: 5 });
}

/** Waits until the run's polled result has one of the given statuses. */
export function untilStatus(wf: AnyWorkflow, runId: string, statuses: string | string[], timeoutMs = 5000): Promise<WorkflowResult> {
  const want = Array.isArray(statuses) ? statuses : [statuses];
  return until(
    async () => {
      const r = await wf.getWorkflowRunExecutionResult(runId);
      return r && want.includes(r.status) ? r : null;
    },
    timeoutMs,
    `run ${runId} to reach ${want.join('/')}`,
  );
}

let seq = 0;
/** Workflow ids unique within a test file (the default engine is process-wide and keyed by id). */
export function uid(prefix: string): string {
  seq += 1;
  return `${prefix}-${seq}`;
}

export const N = z.object({ n: z.number() });

/** A step that adds `by` to n and counts its executions. */
export function addStep<I extends string>(id: I, by = 1, calls?: { count: number }) {
  return createStep({
    id,
    inputSchema: N,
    outputSchema: N,
    execute: async ({ inputData }) => {
      if (calls) calls.count++;
      return { n: inputData.n + by };
    },
  });
}

const wefts: Weft[] = [];

/** A Weft on a fresh memory store, stopped after the test. */
export function makeWeft(workflows: Record<string, AnyWorkflow>, opts: Omit<WeftOptions, 'workflows'> = {}): Weft {
  const weft = new Weft({ store: memoryStore(), workflows, ...opts });
  wefts.push(weft);
  return weft;
}

afterEach(async () => {
  const list = wefts.splice(0);
  await Promise.all(list.map((w) => w.stop({ timeoutMs: 200 })));
});

export type Mode = 'default engine' | 'Weft(memoryStore)';
export const MODES: Mode[] = ['default engine', 'Weft(memoryStore)'];

/** Binds a committed workflow to the engine under test: the default engine, or a fresh Weft. */
export function bind<W extends AnyWorkflow>(mode: Mode, wf: W): W {
  if (mode === 'Weft(memoryStore)') makeWeft({ [wf.id]: wf });
  return wf;
}
