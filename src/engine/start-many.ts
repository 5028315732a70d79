import type { CreateRunOptions, RunHandle, StartManyItem, StartManyOptions, StartManyResult, StartOptions } from '../define/run-types.js';
import { InvalidArgumentError } from '../errors.js';

/** One call's limit: the results (and the items) are held in memory until all are started. */
export const MAX_START_MANY_ITEMS = 1_000_000;
const MAX_CONCURRENCY = 10_000;
const DEFAULT_CONCURRENCY = 1_000;
const ITEM_KEYS = new Set(['inputData', 'runId', 'resourceId', 'metadata', 'initialState', 'requestContext', 'tracingOptions']);

export function checkStartManyOptions(items: unknown, opts: unknown): { concurrency: number } {
  if (!Array.isArray(items)) throw new InvalidArgumentError('startMany items must be an array');
  if (items.length > MAX_START_MANY_ITEMS) {
    throw new InvalidArgumentError(`startMany takes at most ${MAX_START_MANY_ITEMS.toLocaleString('en-US')} items per call (got ${items.length})`);
  }
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new InvalidArgumentError('startMany options must be an object');
  const c = (opts as StartManyOptions).concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(c) || c < 1 || c > MAX_CONCURRENCY) {
    throw new InvalidArgumentError(`startMany concurrency must be an integer from 1 to ${MAX_CONCURRENCY}`);
  }
  return { concurrency: c };
}

/** Splits an item into createRun and start options; a malformed item is refused alone. */
function splitItem(item: unknown): { create: CreateRunOptions; start: StartOptions } {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new InvalidArgumentError('a startMany item must be an object');
  for (const k of Object.keys(item)) {
    if (!ITEM_KEYS.has(k)) throw new InvalidArgumentError(`a startMany item has an unknown field "${k}" (allowed: ${[...ITEM_KEYS].join(', ')})`);
  }
  const { runId, resourceId, ...start } = item as StartManyItem;
  return { create: { ...(runId !== undefined ? { runId } : {}), ...(resourceId !== undefined ? { resourceId } : {}) }, start };
}

/**
 * Starts every item through the ordinary path (createRun, then startAsync), keeping up to `concurrency`
 * starts in flight. The engine's group commit gathers the concurrent creations into one store
 * transaction per batch, which is where the speed comes from; every item keeps the single start's
 * checks, idempotency (a known run id is not started twice) and lifecycle callbacks.
 */
export async function startMany(
  items: unknown[],
  opts: unknown,
  createRun: (o: CreateRunOptions) => Promise<RunHandle>,
): Promise<StartManyResult[]> {
  const { concurrency } = checkStartManyOptions(items, opts);
  const results: StartManyResult[] = new Array<StartManyResult>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      let runId: string | undefined;
      try {
        const { create, start } = splitItem(items[i]);
        const run = await createRun(create);
        runId = run.runId;
        await run.startAsync(start);
        results[i] = { ok: true, runId };
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        results[i] = runId === undefined ? { ok: false, error } : { ok: false, runId, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}
