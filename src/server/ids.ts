import { InvalidArgumentError } from '../errors.js';

/** Longest id (workflow key, run id, resource id) the HTTP API accepts; run ids in bodies had this limit already. */
export const MAX_ID_LENGTH = 200;
/** Longest value of any other query parameter (a status list, a date, an event id). */
export const MAX_QUERY_VALUE_LENGTH = 1000;

// C0 and C1 control characters and DEL. PostgreSQL rejects NUL in text ("invalid byte sequence"), which
// surfaced as a 500 quoting the driver; the others have no place in an id and break logs and terminals.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// A UTF-16 surrogate without its pair cannot be encoded as UTF-8: drivers replace it with U+FFFD, so the
// id stored would not be the id sent, and a later lookup with the same string would miss it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `value` is not acceptable as text in a request, or null when it is. */
export function textProblem(value: string, maxLength: number): string | null {
  if (value.length > maxLength) return `is longer than ${maxLength} characters`;
  if (CONTROL.test(value)) return 'contains a control character';
  if (LONE_SURROGATE.test(value)) return 'contains an unpaired UTF-16 surrogate';
  return null;
}

/** Throws INVALID_ARGUMENT unless `value` is a usable id: non-empty, at most 200 characters, printable, well-formed. */
export function assertId(value: string, name: string): string {
  if (value.length === 0) throw new InvalidArgumentError(`${name} must not be empty`);
  const problem = textProblem(value, MAX_ID_LENGTH);
  if (problem) throw new InvalidArgumentError(`${name} ${problem}`);
  return value;
}
