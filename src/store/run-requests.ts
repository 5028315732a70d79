import type { RunStatus } from '../domain/run-status.js';
import type { JournalEntry } from './journal-records.js';
import type { NewRun, RunRecord } from './run-records.js';

/**
 * What callers ask of the store about a run's course: claims, resume, retry, revise, holds after an
 * outcome, retention pruning, and admission under flow control.
 */

export interface ClaimedRun {
  run: RunRecord;
  journal: JournalEntry[];
}

export interface ClaimOptions {
  owner: string;
  leaseMs: number;
  now: number;
  limit: number;
  /** Only runs of these workflows are claimed (a worker never takes a run it cannot execute). */
  workflowIds: string[];
  /**
   * Concurrency limits by workflow id: at most `limit` runs of that workflow per concurrency key may be
   * running (holding an unexpired lease) at once, across every process sharing the store.
   */
  limits?: Record<string, number>;
  /**
   * Throttles by workflow id: at most `limit` runs of that workflow per throttle key (recorded when the
   * run was admitted, see Store.admitRun) begin their first execution within any `periodMs`, across
   * every process sharing the store. Runs over it stay queued, in order. Applied before `limits`.
   */
  throttles?: Record<string, { limit: number; periodMs: number }>;
}

export interface ResumeRequest {
  runId: string;
  /** The journal row to resume. */
  path: string;
  /**
   * Optional: several rows resumed together with the same data (every suspended item of a foreach),
   * `path` among them. All must be suspended, or nothing changes.
   */
  paths?: string[];
  /** JSON text of the resume data. */
  resumeData: string | null;
  requestContext: string | null;
  now: number;
  /** When set, the resumed run is claimed at once by this owner. */
  owner: string | null;
  leaseExpiresAt: number | null;
}

export interface RetryRequest {
  runId: string;
  now: number;
  /** When set, the retried run is claimed at once by this owner. */
  owner: string | null;
  leaseExpiresAt: number | null;
}

/**
 * A change of a run's course by its owner's command, not by a worker: continue a paused run, rewind it
 * to a step (time travel), or take it over now (restart). Atomic: the run must be in one of `from`
 * (else RunConflictError naming its status; RunNotFoundError when absent and `create` is not given),
 * then it becomes pending (or running for `owner`) with a new epoch (fencing whoever held it), its
 * result, error, timer and status reason cleared, and the patch applied.
 */
export interface ReviseRequest {
  runId: string;
  from: readonly RunStatus[];
  /** Creates the run (as given, then revised) when it does not exist. */
  create?: NewRun;
  /**
   * Replaces the journal with these rows; the current rows are kept first as the next generation of the
   * run's history (an empty journal adds no generation).
   */
  journal?: { rows: JournalEntry[]; reason: string };
  patch: { input?: string | null; state?: string | null; requestContext?: string | null; options?: string | null };
  owner: string | null;
  leaseExpiresAt: number | null;
  now: number;
}

/**
 * A settled run kept by its owner for work after the outcome (lifecycle callbacks): the owner and its
 * lease. Releasing the run later (a patch with `release`) records that the work was done; until then a
 * worker may take the run over with claimUnreleased once the lease expired.
 */
export interface HoldRequest {
  owner: string;
  leaseExpiresAt: number;
}

/**
 * A batch of retention pruning: up to `limit` runs of `workflowId` in `status` (terminal) last updated
 * before `before` are deleted with their journals. Runs still held by an owner (work after their outcome
 * not yet recorded) are kept.
 */
export interface PruneRequest {
  workflowId: string;
  status: 'success' | 'failed' | 'canceled';
  before: number;
  limit: number;
}

/** A start under its workflow's start-time flow control (Store.admitRun; rules in shared/flow-rules.ts). */
export interface FlowAdmission {
  /** The run this start would create (status pending, no owner). */
  run: NewRun;
  idempotency?: { key: string; ttlMs: number };
  /** queue: false skips starts over the limit; true keeps them queued (a throttle, applied at claim). */
  rate?: { key: string; limit: number; periodMs: number; queue: boolean };
  singleton?: { key: string; mode: 'skip' | 'cancel' };
  debounce?: { key: string; periodMs: number; maxWaitMs?: number };
  batch?: { key: string; maxSize: number; timeoutMs: number };
}

export type AdmitOutcome =
  /** A new run; `canceled`: the singleton run it replaced. */
  | { kind: 'created'; run: RunRecord; canceled?: string }
  /** The idempotency key (or the run id) was already used: that start's run. */
  | { kind: 'existing'; run: RunRecord }
  /** Recorded as a canceled run with the reason in its statusReason. */
  | { kind: 'skipped'; run: RunRecord; reason: string }
  /** Joined the open debounce or batch run of its key (returned). */
  | { kind: 'merged'; run: RunRecord };
