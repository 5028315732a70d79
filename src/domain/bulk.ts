import type { RunStatus } from './run-status.js';

/**
 * The shapes of a bulk action (weft.bulk, POST /runs/bulk, `weft runs cancel --status ...`), shared by
 * the engine that runs one and the wire types that carry its progress.
 */
export const BULK_ACTIONS = ['cancel', 'resume', 'retry', 'delete'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** Which runs a bulk action touches. Every field narrows; `runIds` picks runs by id instead. */
export interface BulkFilter {
  workflowId?: string;
  status?: RunStatus | RunStatus[];
  resourceId?: string;
  /** Created at or after (ms or Date). */
  fromDate?: number | Date;
  /** Created at or before (ms or Date); a bulk never reaches runs created after it began. */
  toDate?: number | Date;
  runIdPrefix?: string;
  /** Runs whose `metadata` (from `run.start({ tracingOptions: { metadata } })`) has each of these values. */
  metadata?: Record<string, string | number | boolean>;
  /** Exactly these runs (a selection), at most 10,000; combined with the other fields. */
  runIds?: string[];
}

export interface BulkOptions {
  action: BulkAction;
  filter?: BulkFilter;
  /** For `resume`: the resume data every run gets. */
  resumeData?: unknown;
  /** Runs per batch (default 100, at most 1000). Each batch is one listing and then its actions. */
  batchSize?: number;
  /** Count what the filter matches and act on nothing. */
  dryRun?: boolean;
  /** A `cursor` from an interrupted bulk's progress: continue after the last run it reached. */
  cursor?: string;
}

export interface BulkItemError {
  runId: string;
  code: string;
  message: string;
}

export interface BulkProgress {
  action: BulkAction;
  /** Runs the filter matched when the bulk began (with `metadata`, before that check). */
  matched: number;
  /** Runs looked at so far; succeeded + failed + skipped. */
  processed: number;
  succeeded: number;
  failed: number;
  /** Matched but not in a state the action applies to (a running run for `retry`), or no longer there. */
  skipped: number;
  done: boolean;
  /** Set once stopped early: the bulk was interrupted and can continue with this cursor. */
  stopped: boolean;
  dryRun: boolean;
  /** Continue from here (`weft.bulk({ ...opts, cursor })`) if this bulk is interrupted. */
  cursor?: string;
  /** The first errors (at most 20). */
  errors: BulkItemError[];
}

