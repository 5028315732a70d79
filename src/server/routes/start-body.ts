import type { StartOptions } from '../../define/run-types.js';
import { optObject, optString, type JsonObject } from '../body.js';

/** The start options of a start request's body (single or batch item), checked field by field. */
export function startOptions(body: JsonObject): StartOptions {
  const opts: StartOptions = {};
  if ('inputData' in body) opts.inputData = body.inputData;
  if ('initialState' in body) opts.initialState = body.initialState;
  const requestContext = optObject(body, 'requestContext');
  if (requestContext) opts.requestContext = requestContext;
  const tracing = optObject(body, 'tracingOptions');
  if (tracing) opts.tracingOptions = tracing;
  const metadata = optObject(body, 'metadata');
  if (metadata) opts.metadata = metadata;
  // Checked by the engine (an array of short strings), like a library caller's tags.
  if (body.tags !== undefined) opts.tags = body.tags as string[];
  const traceId = optString(body, 'traceId', 32);
  if (traceId) opts.traceId = traceId;
  const outputOptions = optObject(body, 'outputOptions');
  if (outputOptions) opts.outputOptions = outputOptions;
  const idempotencyKey = optString(body, 'idempotencyKey', 512);
  if (idempotencyKey !== undefined) opts.idempotencyKey = idempotencyKey;
  return opts;
}
