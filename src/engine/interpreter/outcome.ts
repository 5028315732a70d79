import type { SerializedError } from '../../errors.js';

/** A value flowing between nodes, with its JSON text when already known (so it is encoded once). */
export interface Value {
  v: unknown;
  json?: string | null;
}

/**
 * What walking a node produced. Anything but `ok` stops the sequence it is in; parallel
 * constructs combine their children's outcomes with `combine`.
 */
export type Outcome =
  | { t: 'ok'; value: Value }
  | { t: 'suspended' }
  | { t: 'paused' }
  /** wakeAt null: nothing but an event ends the wait (no timer). */
  | { t: 'waiting'; wakeAt: number | null }
  | { t: 'failed'; error: SerializedError }
  | { t: 'bail'; value: Value }
  | { t: 'canceled' };

// Paused outranks waiting: a perStep execution stops where it is, and a sibling's timer must not carry
// the run on by itself.
const RANK: Record<Outcome['t'], number> = { ok: 0, suspended: 1, waiting: 2, paused: 3, bail: 4, failed: 5, canceled: 6 };

/** The most significant outcome of concurrent children: canceled > failed > bail > paused > waiting > suspended. */
export function combine(outcomes: Outcome[]): Outcome | null {
  let worst: Outcome | null = null;
  for (const o of outcomes) {
    if (o.t === 'ok') continue;
    if (!worst || RANK[o.t] > RANK[worst.t]) worst = o;
    else if (o.t === 'waiting' && worst.t === 'waiting' && o.wakeAt !== null && (worst.wakeAt === null || o.wakeAt < worst.wakeAt)) worst = o;
  }
  return worst;
}

/** What `untilAborted` resolves with when the run was aborted before the step settled. */
export const ABORTED: unique symbol = Symbol('weft.aborted');

/**
 * The engine could not record what a step did (the store failed past its retries, or fenced us out).
 * It is the engine's problem, not the step's: it unwinds the whole walk without being caught as a step
 * error, so the step's retries are untouched and the run is parked to be carried on later.
 */
export class EngineFault extends Error {
  constructor(cause: unknown) {
    super('the engine could not record the run', { cause });
    this.name = 'EngineFault';
  }
}
