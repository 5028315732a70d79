import { WorkflowValidationError } from './definition-errors.js';

/**
 * The plain, JSON-safe shape errors take in the store (journal rows, the run row), in run views and on
 * the wire. Results and events give them back as Error instances (`deserializeError`).
 */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  cause?: SerializedError | unknown;
  stack?: string;
  [key: string]: unknown;
}

/**
 * An error as results and events give it: an Error instance rebuilt from its stored shape, with the
 * custom properties the step's error carried (`code`, `statusCode`, ...) as own properties.
 */
export type ResultError = Error & { code?: string; [key: string]: unknown };

/** Own properties serializeError handles itself; every other own enumerable property is copied. */
const RESERVED = new Set(['name', 'message', 'stack', 'cause', 'toJSON']);

/** A custom property larger than this (as JSON) is left out: an error row must stay small. */
const MAX_PROPERTY_JSON = 16 * 1024;

const MAX_CAUSE_DEPTH = 5;

/** The value as JSON gives it back, or undefined when JSON cannot carry it or it is too large to keep. */
function jsonable(v: unknown): unknown {
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return undefined;
  try {
    const text = JSON.stringify(v);
    if (text === undefined || text.length > MAX_PROPERTY_JSON) return undefined;
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Copies the own enumerable properties a step's error carried (statusCode, code, details, ...). */
function copyProperties(from: object, to: SerializedError, depth: number): void {
  for (const key of Object.keys(from)) {
    if (RESERVED.has(key)) continue;
    const v = (from as Record<string, unknown>)[key];
    const out = v instanceof Error ? serializeError(v, depth + 1) : jsonable(v);
    if (out !== undefined) to[key] = out;
  }
}

/**
 * The stored form of anything a step threw: name, message, stack, the cause chain (up to five levels)
 * and every own enumerable property JSON can carry, as Mastra keeps them (its errors keep custom
 * properties such as `statusCode` through storage).
 */
export function serializeError(err: unknown, depth = 0): SerializedError {
  if (err instanceof Error) {
    const out: SerializedError = { name: err.name, message: err.message };
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') out.code = code;
    copyProperties(err, out, depth);
    if (typeof err.stack === 'string') out.stack = err.stack;
    if (err.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
      const cause = err.cause instanceof Error || isErrorLike(err.cause) ? serializeError(err.cause, depth + 1) : jsonable(err.cause);
      if (cause !== undefined) out.cause = cause;
    }
    const issues = (err as { issues?: unknown }).issues;
    if (Array.isArray(issues)) out.issues = err instanceof WorkflowValidationError ? err.issues : issues.map(plainIssue);
    return out;
  }
  if (isErrorLike(err)) {
    const o = err as Record<string, unknown>;
    const out: SerializedError = { name: typeof o.name === 'string' ? o.name : 'Error', message: String(o.message) };
    copyProperties(o, out, depth);
    if (typeof o.stack === 'string') out.stack = o.stack;
    if (o.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
      const cause = o.cause instanceof Error || isErrorLike(o.cause) ? serializeError(o.cause, depth + 1) : jsonable(o.cause);
      if (cause !== undefined) out.cause = cause;
    }
    return out;
  }
  return { name: 'Error', message: typeof err === 'string' ? err : safeString(err) };
}

/** A schema issue as JSON can carry it: its path as keys and its message. */
function plainIssue(issue: unknown): { path: (string | number)[]; message: string } {
  const i = (issue ?? {}) as { path?: unknown; message?: unknown };
  const path = Array.isArray(i.path) ? i.path.map((k) => (typeof k === 'number' ? k : String(k !== null && typeof k === 'object' && 'key' in k ? k.key : k))) : [];
  return { path, message: String(i.message ?? '') };
}

/** An object that is not an Error but has a message: thrown objects, and errors in their stored shape. */
function isErrorLike(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !(v instanceof Error) && typeof (v as { message?: unknown }).message === 'string';
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Built-in error classes rebuilt by name, so `instanceof TypeError` holds after a round trip. */
const BUILT_IN: Record<string, ErrorConstructor> = {
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * Turns a stored error back into an Error instance: message, name, the cause chain (as Errors), the
 * stored stack, and every other stored property as an own enumerable property. Results and events are
 * built this way whether the run crashed or not, so a caller sees the same value either way.
 *
 * Like Mastra's step errors, the instance serialises (toJSON: HTTP, logs, JSON.stringify) to its plain
 * shape without the stack: the stack stays readable on the instance, and in run views.
 */
export function deserializeError(s: SerializedError, depth = 0): ResultError {
  const Ctor = BUILT_IN[s.name] ?? Error;
  const err = new Ctor(typeof s.message === 'string' ? s.message : String(s.message));
  if (err.name !== s.name) Object.defineProperty(err, 'name', { value: s.name, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(err, 'stack', { value: typeof s.stack === 'string' ? s.stack : undefined, writable: true, configurable: true, enumerable: false });
  if (s.cause !== undefined) {
    const cause = isErrorLike(s.cause) && depth < MAX_CAUSE_DEPTH ? deserializeError(s.cause as SerializedError, depth + 1) : s.cause;
    Object.defineProperty(err, 'cause', { value: cause, writable: true, configurable: true, enumerable: false });
  }
  for (const key of Object.keys(s)) {
    if (!RESERVED.has(key)) (err as unknown as Record<string, unknown>)[key] = s[key];
  }
  Object.defineProperty(err, 'toJSON', { value: errorToJSON, writable: true, configurable: true, enumerable: false });
  return err as ResultError;
}

function errorToJSON(this: Error): SerializedError {
  const out: SerializedError = { message: this.message, name: this.name };
  if (this.cause !== undefined) {
    const c = this.cause as { toJSON?: () => unknown };
    out.cause = this.cause instanceof Error && typeof c.toJSON === 'function' ? c.toJSON() : this.cause;
  }
  for (const key of Object.keys(this)) if (!(key in out)) out[key] = (this as unknown as Record<string, unknown>)[key];
  return out;
}

/**
 * A stored error in the plain shape Mastra gives a run's `result.error`: its JSON (as `toJSON` gives it),
 * so without stacks, cause chain included.
 */
export function plainError(s: SerializedError): SerializedError {
  return errorToJSON.call(deserializeError(s));
}

/** An error as results show it: stored errors (plain objects) become Error instances; anything else is kept. */
export function errorForResult(v: unknown): unknown {
  return isErrorLike(v) ? deserializeError(v as SerializedError) : v;
}
