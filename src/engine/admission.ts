import type { AnyWorkflow } from '../define/workflow.js';
import type { FlowAdmission, NewRun } from '../store/types.js';

/** A key function's value as a flow key ('' when the option has no key: one key for the workflow). */
function keyOf(fn: ((input: any) => string) | undefined, input: unknown, what: string): string {
  if (!fn) return '';
  const k = fn(input);
  if (typeof k !== 'string' && typeof k !== 'number') throw new TypeError(`${what}.key must return a string`);
  return String(k);
}

/**
 * The store admission of a start of `wf` (store/shared/flow-rules.ts): its workflow's flow control
 * with the keys taken from the validated input, and the start's idempotency key if it has one.
 */
export function admissionOf(wf: AnyWorkflow, run: NewRun, input: unknown, idempotencyKey: string | undefined): FlowAdmission {
  const f = wf.flow;
  const req: FlowAdmission = { run };
  const idem = idempotencyKey ?? (f.idempotency.key ? keyOf(f.idempotency.key, input, 'idempotency') : undefined);
  if (idem !== undefined) req.idempotency = { key: idem, ttlMs: f.idempotency.ttlMs };
  if (f.rate) req.rate = { key: keyOf(f.rate.key, input, 'rateLimit'), limit: f.rate.limit, periodMs: f.rate.periodMs, queue: f.rate.queue };
  if (f.singleton) req.singleton = { key: keyOf(f.singleton.key, input, 'singleton'), mode: f.singleton.mode };
  if (f.debounce) {
    req.debounce = { key: keyOf(f.debounce.key, input, 'debounce'), periodMs: f.debounce.periodMs };
    if (f.debounce.maxWaitMs !== undefined) req.debounce.maxWaitMs = f.debounce.maxWaitMs;
  }
  if (f.batch) req.batch = { key: keyOf(f.batch.key, input, 'batch'), maxSize: f.batch.maxSize, timeoutMs: f.batch.timeoutMs };
  return req;
}

/** Whether a start of `wf` goes through the store's admission instead of the plain create. */
export function admits(wf: AnyWorkflow, idempotencyKey: string | undefined): boolean {
  return wf.flow.admits || idempotencyKey !== undefined;
}

/** Throttles (throttle, or rateLimit with queue) of the registered workflows, for the worker's claim. */
export function throttlesOf(workflows: Iterable<[string, AnyWorkflow]>): Record<string, { limit: number; periodMs: number }> {
  const out: Record<string, { limit: number; periodMs: number }> = {};
  for (const [id, wf] of workflows) {
    const r = wf.flow.rate;
    if (r?.queue) out[id] = { limit: r.limit, periodMs: r.periodMs };
  }
  return out;
}
