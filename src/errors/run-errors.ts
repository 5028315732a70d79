import { WeftError } from './weft-error.js';

/** Errors about a run's course: it is missing, in the wrong status, taken by someone else or unreadable. */

export class RunNotFoundError extends WeftError {
  constructor(runId: string) {
    super('RUN_NOT_FOUND', `run "${runId}" does not exist`);
  }
}

export class RunNotSuspendedError extends WeftError {
  readonly status: string;
  constructor(runId: string, status: string, detail?: { code: string; message: string }) {
    super(detail?.code ?? 'RUN_NOT_SUSPENDED', detail?.message ?? `run "${runId}" cannot be resumed: its status is "${status}", not "suspended"`);
    this.status = status;
  }
}

/** The run is suspended, but not at the step a resume names (a kind of RunNotSuspendedError). */
export class StepNotSuspendedError extends RunNotSuspendedError {
  readonly step: string;
  constructor(runId: string, step: string, suspended: string[]) {
    const list = suspended.length ? suspended.join(', ') : 'none';
    super(runId, 'suspended', { code: 'STEP_NOT_SUSPENDED', message: `step "${step}" of run "${runId}" is not suspended (suspended steps: ${list})` });
    this.step = step;
  }
}

export class ResumeConflictError extends WeftError {
  constructor(runId: string) {
    super('RESUME_CONFLICT', `run "${runId}" was resumed by another caller at the same time`);
  }
}

export class RunConflictError extends WeftError {
  constructor(runId: string, message: string) {
    super('RUN_CONFLICT', `run "${runId}": ${message}`);
  }
}

/**
 * The run's journal does not fit the workflow definition this process has (a step it recorded was
 * removed, renamed or moved): continuing it would re-run finished steps, so it is refused (a resume) or
 * parked (a worker). `path` is the first journal path that no longer fits; `weft check` lists them all.
 */
export class RunDivergedError extends WeftError {
  readonly path: string;
  readonly reason: string;
  constructor(runId: string, path: string, reason: string, message: string) {
    super('RUN_DIVERGED', `run "${runId}" cannot continue on this definition: ${message}`);
    this.path = path;
    this.reason = reason;
  }
}

/**
 * `replayRuns` (weft/testing) found runs whose journals the current code would not continue: each with
 * the first journal path that no longer fits and why. A test suite fails with it before review.
 */
export class ReplayDivergedError extends WeftError {
  readonly problems: { runId: string; workflowId: string; path?: string; reason?: string; message?: string }[];
  constructor(problems: { runId: string; workflowId: string; path?: string; reason?: string; message?: string }[]) {
    const lines = problems.slice(0, 20).map((p) => `- ${p.runId} (${p.workflowId}): ${p.message ?? 'no definition of this workflow was given'}`);
    if (problems.length > 20) lines.push(`- … and ${problems.length - 20} more`);
    super('REPLAY_DIVERGED', `${problems.length} run${problems.length === 1 ? '' : 's'} would not continue on this code:\n${lines.join('\n')}`);
    this.problems = problems;
  }
}

/** Stored data of a run that cannot be read back (a corrupt or hand-edited row). Fails that run alone. */
export class CorruptRunError extends WeftError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RUN_CORRUPT', message, options);
  }
}

/** A worker lost ownership of a run (lease expired, run canceled or taken over); it must stop writing. */
export class LeaseLostError extends WeftError {
  constructor(runId: string) {
    super('LEASE_LOST', `this worker no longer owns run "${runId}"`);
  }
}

export class EngineStoppedError extends WeftError {
  constructor() {
    super('ENGINE_STOPPED', 'the weft engine is stopped');
  }
}

/**
 * A workflow's onFinish or onError callback threw. Reported through the engine's onError hook; the run's
 * outcome stands and the callback counts as delivered (it is not called again for that outcome).
 */
export class LifecycleCallbackError extends WeftError {
  readonly callback: 'onFinish' | 'onError';
  readonly runId: string;
  constructor(callback: 'onFinish' | 'onError', runId: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('CALLBACK_FAILED', `the ${callback} callback of run "${runId}" threw: ${why}`, { cause });
    this.callback = callback;
    this.runId = runId;
  }
}
