import type { Context } from 'hono';
import { InvalidArgumentError } from '../errors.js';
import { HttpError } from './http-errors.js';

export type JsonObject = Record<string, unknown>;

/**
 * Reads the request body as a JSON object. An empty body counts as `{}` so `POST .../cancel` needs no
 * body. The size limit is enforced earlier by the body-limit middleware.
 */
export async function readJsonObject(c: Context): Promise<JsonObject> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  const type = c.req.header('content-type') ?? '';
  if (type && !/^application\/(.+\+)?json\b/i.test(type)) {
    throw new HttpError('UNSUPPORTED_MEDIA_TYPE', 'the request body must be JSON (content-type: application/json)');
  }
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

export function optString(body: JsonObject, key: string, maxLength = 200): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLength) {
    throw new InvalidArgumentError(`${key} must be a non-empty string of at most ${maxLength} characters`);
  }
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
