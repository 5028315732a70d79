import { serializeError } from '../../errors.js';
import type { Exec } from './exec.js';
import { EngineFault, type Outcome } from './outcome.js';

/**
 * Turns an error thrown by a node's own logic (a condition, a `.map` function, bad input) into that
 * node's failure. An EngineFault is not the node's failure and keeps unwinding to the execution.
 */
export async function guarded(exec: Exec, fn: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof EngineFault) throw err;
    if (exec.aborted) return { t: 'canceled' };
    return { t: 'failed', error: serializeError(err) };
  }
}
