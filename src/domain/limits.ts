/**
 * Deepest nesting of objects and arrays accepted in any JSON value (input, output, state, resume data,
 * HTTP bodies). Deeper values can be written but not always read back (recursive readers overflow the
 * stack), so they are refused where they come in, the same for the library and the HTTP API.
 */
export const MAX_JSON_DEPTH = 256;
