import { WeftError, WorkflowValidationError, type ValidationIssue } from '../errors.js';

/**
 * Maps weft error codes to HTTP statuses. Codes not listed are server faults (500). The code itself is
 * always sent, so clients branch on `error.code`, never on the status or the message.
 */
const STATUS_BY_CODE: Record<string, number> = {
  BAD_JSON: 400,
  VALIDATION_FAILED: 400,
  INVALID_ARGUMENT: 400,
  PAYLOAD_NOT_SERIALIZABLE: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  WORKFLOW_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  RUN_NOT_SUSPENDED: 409,
  STEP_NOT_SUSPENDED: 409,
  RESUME_CONFLICT: 409,
  RUN_CONFLICT: 409,
  RUN_NOT_FAILED: 409,
  BODY_TOO_LARGE: 413,
  PAYLOAD_TOO_LARGE: 413,
  PAYLOAD_TOO_DEEP: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_IMPLEMENTED: 501,
  ENGINE_STOPPED: 503,
};

export interface ErrorBody {
  error: { code: string; message: string; issues?: ValidationIssue[] };
}

/** An error raised by the HTTP layer itself (bad JSON, auth, unknown route). */
export class HttpError extends WeftError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

export function statusForCode(code: string): number {
  return STATUS_BY_CODE[code] ?? 500;
}

/**
 * Turns any thrown value into a status and a JSON body. Unexpected errors (not WeftError) are reported
 * as INTERNAL with a generic message: their text may carry details the caller should not see.
 */
export function toErrorResponse(err: unknown, onInternal: (err: unknown) => void): { status: number; body: ErrorBody } {
  if (err instanceof WeftError) {
    const status = statusForCode(err.code);
    if (status === 500) onInternal(err);
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err instanceof WorkflowValidationError) body.error.issues = err.issues;
    return { status, body };
  }
  onInternal(err);
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal server error' } } };
}
