import type { AnyWorkflow } from '../../define/workflow.js';
import type { RunStatus } from '../../domain/run-status.js';
import type { ChildWaitRequest, ChildWaitResult, JournalEntry, RunPatch, RunRecord, WaitRequest, WaitResult } from '../../store/types.js';
import type { Seams } from '../../worker/seams.js';
import type { StartChildRequest } from '../child-runs.js';
import type { EventHub } from '../events.js';
import type { GroupCommitter } from '../group-commit.js';
import type { Outcome } from './outcome.js';

/** The decoded input and output of a row an execution wrote (its result need not parse them back). */
export interface DecodedRow {
  input: unknown;
  output: unknown;
}

/** What an execution needs from the engine that runs it. */
export interface ExecutionHost {
  committer: GroupCommitter;
  events: EventHub;
  maxPayloadBytes: number;
  /** Sleeps and retry delays up to this long wait in process; longer ones park the run in the store. */
  inProcessSleepMs: number;
  /** How large values are stored (WeftOptions.values); absent: every value is plain JSON. */
  values?: { inlineBytes: number; arrayChunk: number };
  /** Budget for the run's blob bytes (null or absent: none). */
  maxRunBytes?: number | null;
  /** Loop iterations whose values are kept (WeftOptions.loopHistory; absent: all). */
  loopHistory?: number;
  /** The blob bytes the store holds for a run (read when a recovered run may already have some). */
  runBlobBytes?(runId: string): Promise<number>;
  seams: Seams;
  /** See Exec.eventWindowMs. */
  eventWindowMs: number;
  /** The store's registerWait, with the engine's retries (see Store.registerWait). */
  registerWait(req: WaitRequest): Promise<WaitResult>;
  /** Child runs (engine/child-runs.ts): absent in engines that cannot start them. */
  childRuns?: {
    start(req: StartChildRequest): Promise<{ workflowId: string; runId: string }>;
    registerChildWait(req: ChildWaitRequest): Promise<ChildWaitResult>;
  };
  /** Issues a completion token for a run (engine/tokens.ts). */
  createToken(runId: string, opts: unknown): Promise<{ token: string; url: string; expiresAt: Date }>;
  /** Whether this process still holds the run's lease by its own clock (absent: always). */
  leaseHeld?(runId: string): boolean;
  /** How long to park a run after the store failed `faults` times in a row to record it. */
  faultBackoffMs(runId: string): number;
  /**
   * Whether an outcome with this status is written without releasing the run, so its owner can call
   * the workflow's lifecycle callbacks and record them (engine/lifecycle.ts). Absent: never.
   */
  holdAfter?(wf: AnyWorkflow, status: RunStatus): boolean;
  /**
   * A row to write with the outcome, in the same batch (the shouldPersistSnapshot record, run-shapes.ts),
   * or null. Absent: never.
   */
  outcomeRow?(wf: AnyWorkflow, exec: SettledRows, patch: RunPatch): JournalEntry | null;
  /**
   * A child run whose parent (or a run above it) is canceled is canceled instead of executed; returns
   * whether it was (engine/cancel-cascade.ts). Called only for runs that have a parent. Absent: never.
   */
  cancelIfOrphaned?(run: RunRecord): Promise<boolean>;
}

/**
 * How an execution ended, as far as this process knows. 'lost' means another party took the run;
 * 'faulted' means the store could not record it (the run was parked to be retried, or left to its lease).
 */
export type ExecutionEnd = {
  status: RunStatus | 'lost' | 'faulted';
  outcome: Outcome;
  /** The outcome was written held (not released): its lifecycle callbacks are to be delivered. */
  held?: boolean;
};

/** An execution's rows as its outcome sees them (ExecutionHost.outcomeRow). */
export interface SettledRows {
  readonly runId: string;
  rows(): Iterable<JournalEntry>;
  readonly decoded: ReadonlyMap<string, DecodedRow>;
  now(): number;
}
