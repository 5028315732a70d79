import type { StartManyItem, StartManyResult } from '../../define/run-types.js';
import type { AnyWorkflow } from '../../define/workflow.js';
import { InvalidArgumentError } from '../../errors.js';
import { onlyKeys, optString, type JsonObject } from '../body.js';
import { toErrorResponse, type ErrorBody } from '../http-errors.js';
import { startOptions } from './start-body.js';

/** Items per request: the body limit bounds the bytes, this bounds the work one request holds open. */
export const MAX_BATCH_ITEMS = 10_000;
const ITEM_KEYS = ['inputData', 'runId', 'resourceId', 'metadata', 'initialState', 'requestContext', 'tracingOptions'];

export type BatchItemJson = { ok: true; runId: string } | { ok: false; runId?: string; error: ErrorBody['error'] };

/** A marker for an item the HTTP layer refused, so it keeps its place and its own error. */
class Refused {
  constructor(readonly error: unknown) {}
}

/** One item's HTTP fields, checked as the single-start route checks its body. */
function itemOf(v: unknown): StartManyItem | Refused {
  try {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgumentError('each item must be a JSON object');
    const body = v as JsonObject;
    onlyKeys(body, ITEM_KEYS, 'batch item');
    const runId = optString(body, 'runId');
    const resourceId = optString(body, 'resourceId');
    const { inputData, initialState, requestContext, tracingOptions, metadata } = startOptions(body);
    const item: StartManyItem = {};
    if ('inputData' in body) item.inputData = inputData;
    if (initialState !== undefined) item.initialState = initialState;
    if (requestContext !== undefined) item.requestContext = requestContext;
    if (tracingOptions !== undefined) item.tracingOptions = tracingOptions;
    if (metadata !== undefined) item.metadata = metadata;
    if (runId) item.runId = runId;
    if (resourceId) item.resourceId = resourceId;
    return item;
  } catch (err) {
    return new Refused(err);
  }
}

/**
 * POST /workflows/:id/runs/batch `{ items: [...], concurrency? }`: workflow.startMany over HTTP. The
 * answer is 200 with one result per item, in order, whatever became of each (a refused item carries
 * the error body the single start would have answered with); only a malformed request as a whole fails.
 */
export async function startBatch(wf: AnyWorkflow, body: JsonObject, onInternal: (err: unknown) => void): Promise<{ results: BatchItemJson[]; started: number; failed: number }> {
  onlyKeys(body, ['items', 'concurrency'], 'batch start request');
  const items = body.items;
  if (!Array.isArray(items)) throw new InvalidArgumentError('items must be an array of start requests');
  if (items.length > MAX_BATCH_ITEMS) throw new InvalidArgumentError(`a batch takes at most ${MAX_BATCH_ITEMS} items (got ${items.length})`);
  const concurrency = body.concurrency;
  if (concurrency !== undefined && typeof concurrency !== 'number') throw new InvalidArgumentError('concurrency must be a number');
  const parsed = items.map(itemOf);
  const accepted = parsed.filter((p): p is StartManyItem => !(p instanceof Refused));
  const started = await wf.startMany(accepted, concurrency === undefined ? {} : { concurrency });
  let k = 0;
  const results = parsed.map((p): BatchItemJson => {
    const r: StartManyResult = p instanceof Refused ? { ok: false, error: p.error as Error } : started[k++]!;
    if (r.ok) return r;
    const error = toErrorResponse(r.error, onInternal).body.error;
    return r.runId === undefined ? { ok: false, error } : { ok: false, runId: r.runId, error };
  });
  const ok = results.filter((r) => r.ok).length;
  return { results, started: ok, failed: results.length - ok };
}
