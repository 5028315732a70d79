import { randomBytes, randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';

/** Longest run id, resource id and other identifier a caller may choose (they are indexed columns). */
export const MAX_ID_LENGTH = 200;

// C0 and C1 control characters (NUL included) and UTF-16 halves without their partner cannot be stored
// as they are: PostgreSQL rejects NUL and turns a lone surrogate into U+FFFD, so the text read back would
// differ from the text sent (and a later lookup with the same string would miss it).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `value` is not acceptable as text in a column or a request, or null when it is. */
export function textProblem(value: string, maxLength: number): string | null {
  if (value.length > maxLength) return `must be at most ${maxLength} characters`;
  if (CONTROL.test(value)) return 'must not contain control characters';
  if (LONE_SURROGATE.test(value)) return 'must not contain an unpaired UTF-16 surrogate';
  return null;
}

/** Why `value` cannot be an identifier, or null when it can. */
export function idProblem(value: unknown, maxLength = MAX_ID_LENGTH): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  return textProblem(value, maxLength);
}

/** Throws INVALID_ARGUMENT naming the field when `value` is not a usable identifier. */
export function checkId(value: unknown, name: string, maxLength = MAX_ID_LENGTH): asserts value is string {
  const problem = idProblem(value, maxLength);
  if (problem) throw new InvalidArgumentError(`${name} ${problem}`);
}

/** The one rule for run ids, wherever one comes in (library, HTTP, CLI). */
export function checkRunId(runId: unknown): asserts runId is string {
  checkId(runId, 'runId');
}

/**
 * A UUID version 7: 48 bits of millisecond time, then random bits. Run ids made this way sort by
 * creation time, so a store's index on run ids grows at its end instead of at random places (fewer
 * pages written per commit), and they are still unique across processes without coordination.
 */
export function newRunId(now: number = Date.now()): string {
  const rnd = randomUUID(); // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx, y in 8..b
  const ts = now.toString(16).padStart(12, '0').slice(-12);
  return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${rnd.slice(15, 18)}-${rnd.slice(19)}`;
}

/**
 * The run id of a scheduled fire. Every worker computes the same id for the same fire time, so however
 * many workers fire, the store's idempotent run creation makes exactly one run.
 */
export function cronRunId(workflowId: string, fireAt: number): string {
  return `cron:${workflowId}:${new Date(fireAt).toISOString()}`;
}

/** The run id of a schedule fired by hand (`triggerSchedule`): never equal to a timed fire's id. */
export function manualCronRunId(workflowId: string, now: number): string {
  return `cron:${workflowId}:manual:${new Date(now).toISOString()}:${randomBytes(3).toString('hex')}`;
}
