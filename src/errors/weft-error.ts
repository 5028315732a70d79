/**
 * Every error weft throws on purpose is a WeftError with a stable string `code`, so callers (and the
 * HTTP API) can branch on the code rather than on message text.
 */
export class WeftError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export interface ValidationIssue {
  /** Dotted path of the failing field; empty for the value as a whole. */
  path: string;
  message: string;
}
