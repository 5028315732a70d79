import { WeftError } from './weft-error.js';

/** Errors of events and completion tokens. */

/** An event name no registered workflow waits for or is triggered by (HTTP 404). */
export class UnknownEventError extends WeftError {
  constructor(name: string) {
    super('UNKNOWN_EVENT', `no registered workflow waits for or is started by the event "${name}"`);
  }
}

/** A `.waitForEvent` with `onTimeout: 'fail'` reached its timeout without an event. */
export class EventTimeoutError extends WeftError {
  constructor(events: string[], timeoutMs: number) {
    super('EVENT_TIMEOUT', `no ${events.map((e) => `"${e}"`).join(' or ')} event arrived within ${timeoutMs} ms`);
  }
}

/** A completion token that does not exist (or is malformed). */
export class TokenNotFoundError extends WeftError {
  constructor() {
    super('TOKEN_NOT_FOUND', 'no such token');
  }
}

/** A completion token past its timeout. */
export class TokenExpiredError extends WeftError {
  constructor() {
    super('TOKEN_EXPIRED', 'the token has expired');
  }
}

/** A completion token that was used already (tokens work once). */
export class TokenUsedError extends WeftError {
  constructor() {
    super('TOKEN_USED', 'the token was used already');
  }
}
