/**
 * The run-status vocabulary, defined once. Every other list of statuses (store filters, HTTP query
 * parsing, the dashboard, SQL in the stores) derives from this tuple, so adding a status is one edit
 * and the compiler finds every switch that must handle it.
 */
export const RUN_STATUSES = ['pending', 'running', 'waiting', 'suspended', 'paused', 'success', 'failed', 'canceled'] as const;

export type RunStatus = (typeof RUN_STATUSES)[number];

/** A run in one of these will never change again (unless it is retried, which starts a new attempt). */
export const TERMINAL_STATUSES = ['success', 'failed', 'canceled'] as const satisfies readonly RunStatus[];

/** A run in one of these has work to do without anyone's input: a worker will carry it forward. */
export const ACTIVE_STATUSES = ['pending', 'running', 'waiting'] as const satisfies readonly RunStatus[];

/**
 * A `start()`/`resume()` call waits until one of these: the run ended, or it stopped until someone
 * resumes it (`suspended` by a step, `paused` after one step of a `perStep` execution). `waiting` (a
 * timer) does not end the wait: the run goes on by itself.
 */
export const SETTLED_STATUSES = ['success', 'failed', 'canceled', 'suspended', 'paused'] as const satisfies readonly RunStatus[];

export function isRunStatus(v: unknown): v is RunStatus {
  return typeof v === 'string' && (RUN_STATUSES as readonly string[]).includes(v);
}

export function isTerminal(status: RunStatus): boolean {
  return status === 'success' || status === 'failed' || status === 'canceled';
}

export function isSettled(status: RunStatus): boolean {
  return isTerminal(status) || status === 'suspended' || status === 'paused';
}

export function isActive(status: RunStatus): boolean {
  return status === 'pending' || status === 'running' || status === 'waiting';
}
