import { positiveDurationMs, type Duration } from '../domain/durations.js';
import { WorkflowDefinitionError } from '../errors.js';

type KeyFn<TIn> = (input: TIn) => string;

/**
 * Flow control declared on a workflow (createWorkflow options), beside `concurrency` and `priority`.
 * The engine turns a start into a store admission (store/shared/flow-rules.ts) and a worker's claim
 * applies the throttle; docs/operations.md "Flow control" gives the guarantees, costs and order.
 */
export interface FlowControlConfig<TIn> {
  /** At most `limit` runs started per `period` per key; over it a start is skipped (recorded) or, with `queue`, waits. */
  rateLimit?: { limit: number; period: Duration; key?: KeyFn<TIn>; queue?: boolean };
  /** At most `limit` runs begin executing per `period` per key; the rest wait in order. */
  throttle?: { limit: number; period: Duration; key?: KeyFn<TIn> };
  /** A burst of starts with one key becomes one run with the last input, after `period` of quiet or `maxWait`. */
  debounce?: { period: Duration; key?: KeyFn<TIn>; maxWait?: Duration };
  /** At most one live run per key: a new start is skipped, or cancels the live run. */
  singleton?: { mode: 'skip' | 'cancel'; key?: KeyFn<TIn> };
  /** Starts are collected into one run whose input is the array of their inputs. */
  batch?: { maxSize: number; timeout: Duration; key?: KeyFn<TIn> };
  /** How long a start's `idempotencyKey` is remembered (default 24h); `key` derives one from the input. */
  idempotency?: { ttl: Duration; key?: KeyFn<TIn> };
}

/** The checked, normalised form a workflow keeps (durations in ms). */
export interface FlowControl {
  rate?: { limit: number; periodMs: number; queue: boolean; key?: KeyFn<any> };
  debounce?: { periodMs: number; maxWaitMs?: number; key?: KeyFn<any> };
  singleton?: { mode: 'skip' | 'cancel'; key?: KeyFn<any> };
  batch?: { maxSize: number; timeoutMs: number; key?: KeyFn<any> };
  idempotency: { ttlMs: number; key?: KeyFn<any> };
  /** Whether a start must go through the store's admission (anything but the idempotency default). */
  admits: boolean;
}

export const DEFAULT_IDEMPOTENCY_TTL_MS = 86_400_000;

/** Checks the flow-control options of `createWorkflow` (WorkflowDefinitionError naming the option). */
export function flowControlOf(where: string, c: FlowControlConfig<any>): FlowControl {
  const fail = (what: string): never => {
    throw new WorkflowDefinitionError(`${where}: ${what}`);
  };
  const obj = (v: unknown, name: string) => {
    if (v !== undefined && (v === null || typeof v !== 'object')) fail(`${name} must be an object`);
    return v as Record<string, unknown> | undefined;
  };
  const key = (o: Record<string, unknown>, name: string): KeyFn<any> | undefined => {
    if (o.key !== undefined && typeof o.key !== 'function') fail(`${name}.key must be a function (input) => string`);
    return o.key as KeyFn<any> | undefined;
  };
  const ms = (v: unknown, name: string): number => positiveDurationMs(v) ?? fail(`${name} must be a positive duration (ms, or '30s', '5m', '1h', '1d')`);
  const count = (v: unknown, name: string): number => (Number.isInteger(v) && (v as number) > 0 ? (v as number) : fail(`${name} must be a positive integer`));
  const out: FlowControl = { idempotency: { ttlMs: DEFAULT_IDEMPOTENCY_TTL_MS }, admits: false };

  const rl = obj(c.rateLimit, 'rateLimit');
  const th = obj(c.throttle, 'throttle');
  if (rl && th) fail('declare rateLimit or throttle, not both (rateLimit with queue: true is a throttle)');
  if (rl) {
    if (rl.queue !== undefined && typeof rl.queue !== 'boolean') fail('rateLimit.queue must be a boolean');
    out.rate = { limit: count(rl.limit, 'rateLimit.limit'), periodMs: ms(rl.period, 'rateLimit.period'), queue: rl.queue === true, key: key(rl, 'rateLimit') };
  }
  if (th) out.rate = { limit: count(th.limit, 'throttle.limit'), periodMs: ms(th.period, 'throttle.period'), queue: true, key: key(th, 'throttle') };
  const db = obj(c.debounce, 'debounce');
  if (db) {
    out.debounce = { periodMs: ms(db.period, 'debounce.period'), key: key(db, 'debounce') };
    if (db.maxWait !== undefined) out.debounce.maxWaitMs = ms(db.maxWait, 'debounce.maxWait');
  }
  const sg = obj(c.singleton, 'singleton');
  if (sg) {
    if (sg.mode !== 'skip' && sg.mode !== 'cancel') fail(`singleton.mode must be 'skip' or 'cancel'`);
    out.singleton = { mode: sg.mode as 'skip' | 'cancel', key: key(sg, 'singleton') };
  }
  const bt = obj(c.batch, 'batch');
  if (bt) out.batch = { maxSize: count(bt.maxSize, 'batch.maxSize'), timeoutMs: ms(bt.timeout, 'batch.timeout'), key: key(bt, 'batch') };
  if (out.debounce && out.batch) fail('debounce and batch cannot be combined');
  if (out.singleton && (out.debounce || out.batch)) fail('singleton cannot be combined with debounce or batch (they already make one run per key)');
  const id = obj(c.idempotency, 'idempotency');
  if (id) out.idempotency = { ttlMs: ms(id.ttl, 'idempotency.ttl'), key: key(id, 'idempotency') };
  out.admits = !!(out.rate || out.debounce || out.singleton || out.batch || out.idempotency.key);
  return out;
}
