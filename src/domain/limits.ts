/**
 * Deepest nesting of objects and arrays accepted in any JSON value (input, output, state, resume data,
 * HTTP bodies). Deeper values can be written but not always read back (recursive readers overflow the
 * stack), so they are refused where they come in, the same for the library and the HTTP API.
 */
export const MAX_JSON_DEPTH = 256;

/**
 * Largest output chunk a step may write (writer.write, writer.custom, an agent's text), as JSON bytes
 * of its event payload: every chunk is stored in the run's stream (docs/durability.md, "Run streams").
 * A larger one fails the write with STREAM_CHUNK_TOO_LARGE; the engine's maxPayloadBytes caps it too.
 */
export const MAX_CHUNK_BYTES = 256 * 1024;
