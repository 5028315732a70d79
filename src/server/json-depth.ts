import { MAX_JSON_DEPTH } from '../domain/limits.js';
import { PayloadError } from '../errors.js';

/**
 * A request body nested deeper than MAX_JSON_DEPTH (the outermost value counting as level 1): the same
 * limit, and the same code, the engine applies to values given through the library.
 */
export class JsonTooDeepError extends PayloadError {
  constructor(limit: number = MAX_JSON_DEPTH) {
    super('PAYLOAD_TOO_DEEP', `the JSON payload is nested more than ${limit} levels deep`);
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
