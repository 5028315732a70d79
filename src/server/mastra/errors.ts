import type { ErrorBody } from '../http-errors.js';

/**
 * Mastra's servers answer errors as `{ error: "<message>" }`, and @mastra/client-js puts that body in
 * the message of the error it throws. weft keeps that shape under Mastra's prefix and adds its stable
 * `code` (and validation `issues`) beside it, so a caller can still branch on the code.
 */
export interface MastraErrorBody {
  error: string;
  code: string;
  issues?: ErrorBody['error']['issues'];
}

export function mastraErrorBody(body: ErrorBody): MastraErrorBody {
  const out: MastraErrorBody = { error: body.error.message, code: body.error.code };
  if (body.error.issues) out.issues = body.error.issues;
  return out;
}
