import { StoreError, WeftError, WorkflowValidationError, type ValidationIssue } from '../errors.js';

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
  FORBIDDEN_ORIGIN: 403,
  NOT_FOUND: 404,
  WORKFLOW_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  BULK_NOT_FOUND: 404,
  UNKNOWN_EVENT: 404,
  TOKEN_NOT_FOUND: 404,
  TOKEN_EXPIRED: 410,
  TOKEN_USED: 409,
  RUN_NOT_SUSPENDED: 409,
  RUN_DIVERGED: 409,
  STEP_NOT_SUSPENDED: 409,
  RESUME_CONFLICT: 409,
  RUN_CONFLICT: 409,
  RUN_NOT_FAILED: 409,
  BODY_TOO_LARGE: 413,
  PAYLOAD_TOO_LARGE: 413,
  PAYLOAD_TOO_DEEP: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HOST_NOT_ALLOWED: 421,
  NOT_IMPLEMENTED: 501,
  ENGINE_STOPPED: 503,
  // The store is passing through a bad moment (a lock held elsewhere, a full disk, a restart): the
  // request may succeed when tried again, which 503 says.
  STORE_UNAVAILABLE: 503,
  STORE_TIMEOUT: 503,
  STORE_LOCKED: 503,
  STORE_FULL: 503,
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

/** The request's `Host` is not one this server answers to (a DNS-rebinding page, or a misrouted request). */
export class HostNotAllowedError extends HttpError {
  constructor(host: string | undefined) {
    super(
      'HOST_NOT_ALLOWED',
      host === undefined
        ? 'the request has no Host header'
        : `this server does not answer to the host "${host.slice(0, 100)}" (add it with allowedHosts / --allow-host / WEFT_ALLOWED_HOSTS)`,
    );
  }
}

/** A bulk action id this server does not know (jobs live in the server process). */
export class BulkNotFoundError extends HttpError {
  constructor(id: string, kept: number) {
    super('BULK_NOT_FOUND', `no bulk action "${id.slice(0, 100)}" in this server (jobs are kept in memory, the latest ${kept})`);
  }
}

/** A browser request sent by a page of another origin that is not in `corsOrigins`. */
export class ForbiddenOriginError extends HttpError {
  constructor(origin: string | undefined) {
    super(
      'FORBIDDEN_ORIGIN',
      origin === undefined
        ? 'cross-site requests are not accepted'
        : `requests from the origin "${origin.slice(0, 100)}" are not accepted (allow it with corsOrigins / --cors-origin / WEFT_CORS_ORIGINS)`,
    );
  }
}

/** A state-changing request whose content-type is not application/json (an empty body included). */
export class UnsupportedMediaTypeError extends HttpError {
  constructor() {
    super('UNSUPPORTED_MEDIA_TYPE', 'this request must be sent with content-type: application/json (an empty body too)');
  }
}

export function statusForCode(code: string): number {
  return STATUS_BY_CODE[code] ?? 500;
}

const INTERNAL_MESSAGE = 'internal server error';

/**
 * Turns any thrown value into a status and a JSON body. A 500 never carries the error's own message:
 * unexpected errors (not WeftError) become INTERNAL, and a WeftError that maps to 500 (a StoreError,
 * whose message quotes the database driver: SQL fragments, table and schema names) keeps its code but
 * gets a generic message; so does a store error answered with 503 (try again). The full error goes to
 * `onInternal` (the server's `onError`).
 */
export function toErrorResponse(err: unknown, onInternal: (err: unknown) => void): { status: number; body: ErrorBody } {
  if (err instanceof WeftError) {
    const status = statusForCode(err.code);
    if (status === 500 || err instanceof StoreError) {
      onInternal(err);
      return { status, body: { error: { code: err.code, message: INTERNAL_MESSAGE } } };
    }
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err instanceof WorkflowValidationError) body.error.issues = err.issues;
    return { status, body };
  }
  onInternal(err);
  return { status: 500, body: { error: { code: 'INTERNAL', message: INTERNAL_MESSAGE } } };
}
