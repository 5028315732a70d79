import type { Context } from 'hono';
import { InvalidArgumentError } from '../errors.js';
import { HttpError, UnsupportedMediaTypeError } from './http-errors.js';
import { textProblem } from '../domain/ids.js';
import { JsonTooDeepError, jsonTextExceedsDepth } from './json-depth.js';

export type JsonObject = Record<string, unknown>;

/** `application/json`, with or without parameters (`; charset=utf-8`). */
export function isJsonContentType(type: string | undefined): boolean {
  return type !== undefined && /^application\/json\s*(;|$)/i.test(type.trim());
}

/**
 * Reads the request body as a JSON object. The content-type must be application/json even when the
 * body is empty (an empty body counts as `{}`, so `POST .../cancel` needs no body): a cross-site page
 * can send a body-less or text/plain POST without a CORS preflight, but not an application/json one.
 * The size limit is enforced earlier by the body-limit middleware.
 */
export async function readJsonObject(c: Context): Promise<JsonObject> {
  if (!isJsonContentType(c.req.header('content-type'))) throw new UnsupportedMediaTypeError();
  const text = await c.req.text();
  if (text.trim() === '') return {};
  if (jsonTextExceedsDepth(text)) throw new JsonTooDeepError();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HttpError('BAD_JSON', `the request body is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError('the request body must be a JSON object');
  }
  return value as JsonObject;
}

/** Rejects keys the endpoint does not know, so a typo (`input` for `inputData`) is an error, not a no-op. */
export function onlyKeys(body: JsonObject, allowed: readonly string[], what: string): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length) {
    throw new InvalidArgumentError(`${what}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (allowed: ${allowed.join(', ')})`);
  }
}

/** An optional id-like string field (run id, resource id, label): checked like ids in paths and queries. */
export function optString(body: JsonObject, key: string, maxLength = 200): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLength) {
    throw new InvalidArgumentError(`${key} must be a non-empty string of at most ${maxLength} characters`);
  }
  const problem = textProblem(v, maxLength);
  if (problem) throw new InvalidArgumentError(`${key} ${problem}`);
  return v;
}

export function optObject(body: JsonObject, key: string): JsonObject | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgumentError(`${key} must be an object`);
  return v as JsonObject;
}

/** `?wait=true` switches a durable call (202) into call-and-wait (200 with the result). */
export function wantsWait(c: Context): boolean {
  const w = c.req.query('wait');
  if (w === undefined || w === 'false' || w === '0') return false;
  if (w === '' || w === 'true' || w === '1') return true;
  throw new InvalidArgumentError('wait must be true or false');
}
