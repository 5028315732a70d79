import { WeftError } from '../errors.js';

/**
 * Deepest nesting of arrays and objects accepted in a JSON payload, the outermost value counting as
 * level 1. A body nested ~4,100 levels deep used to be stored and then failed every later read with a
 * RangeError (recursive serialisers run out of stack), breaking the run's page for good. Real payloads
 * are nowhere near this; the HTTP edge enforces it on request bodies, and the engine is meant to apply
 * the same constant to library callers (it lives here until it moves down to the engine).
 */
export const MAX_JSON_DEPTH = 256;

/** A JSON payload nested deeper than MAX_JSON_DEPTH. */
export class JsonTooDeepError extends WeftError {
  constructor(limit: number = MAX_JSON_DEPTH) {
    super('JSON_TOO_DEEP', `the JSON payload is nested more than ${limit} levels deep`);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether JSON text nests deeper than `limit`, decided by one pass over the text (brackets inside
 * strings do not count) before it is parsed, so an over-deep body costs no parse and no allocation.
 * Malformed text is left for JSON.parse to report.
 */
export function jsonTextExceedsDepth(text: string, limit: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === BACKSLASH) i++;
      else if (ch === QUOTE) inString = false;
    } else if (ch === QUOTE) {
      inString = true;
    } else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}
