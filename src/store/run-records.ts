import type { RunStatus } from '../domain/run-status.js';

/**
 * A run as the store keeps it, as it is created and patched, and as listings read it; the links between
 * runs; a cron schedule's shared state.
 */

export interface RunRecord {
  runId: string;
  workflowId: string;
  status: RunStatus;
  resourceId: string | null;
  /** JSON text of the run's input. */
  input: string | null;
  /** JSON text of the run's state (as of its last status change). */
  state: string | null;
  result: string | null;
  error: string | null;
  requestContext: string | null;
  /** JSON text: { traceId?, parentSpanId?, metadata?, tags? }. */
  tracing: string | null;
  /** Why the run is not progressing, when that is not obvious from its status (e.g. unknown workflow). */
  statusReason: string | null;
  owner: string | null;
  /** Fencing token: bumped on every claim, cancel and resume. Writes carry the epoch they were made under. */
  leaseEpoch: number;
  leaseExpiresAt: number | null;
  wakeAt: number | null;
  priority: number;
  concurrencyKey: string | null;
  /** JSON text of how the run executes (RunOptions: e.g. `perStep`), or null for the defaults. */
  options: string | null;
  /**
   * The graph fingerprint of the definition the run started on (`<version>:<hash>`; engine/fingerprint.ts),
   * or null for runs created before fingerprints were stored (migration sqlite 0009 / postgres 0011).
   */
  fingerprint: string | null;
  /**
   * The run that started this one as a child (ctx.startWorkflow), or null. Optional so records built
   * by hand (tools, tests) need not name it; every store fills it in.
   */
  parentRunId?: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewRun {
  runId: string;
  workflowId: string;
  status: 'pending' | 'running';
  resourceId: string | null;
  input: string | null;
  state: string | null;
  requestContext: string | null;
  tracing: string | null;
  priority: number;
  concurrencyKey: string | null;
  /** When set, the run is created already claimed by this owner (saves a claim round trip). */
  owner: string | null;
  leaseExpiresAt: number | null;
  now: number;
  /** JSON text of RunOptions (absent or null: the defaults). */
  options?: string | null;
  /** The graph fingerprint of the workflow definition the run starts on. */
  fingerprint?: string | null;
  /** JSON text: an array of search labels (opaque strings, see ListRunsFilter.labels), or null. */
  labels?: string | null;
  /** For a rerun: the run it was copied from, and the step it reruns from. */
  rerunOf?: { runId: string; step: string } | null;
  /**
   * For a child run (ctx.startWorkflow): the parent run and the path of the parent's journal row that
   * waits for it. The child's outcome (success, failed, canceled) wakes the parent in the same
   * transaction: that row becomes 'resumed' and a running or waiting parent pending with a new epoch.
   */
  parent?: { runId: string; path: string } | null;
}

/** What `weft check` reads of an unfinished run (Store.scanRuns). */
export interface RunHead {
  runId: string;
  workflowId: string;
  status: RunStatus;
  fingerprint: string | null;
}

export interface ScanRunsOptions {
  statuses: readonly RunStatus[];
  /** Runs with ids after this one (keyset paging in id order, byte-wise); null from the start. */
  after: string | null;
  limit: number;
  /** Only runs of these workflows (absent: every workflow). */
  workflowIds?: readonly string[];
}

/** Fields a worker may change on a run it owns. */
export interface RunPatch {
  status?: RunStatus;
  state?: string | null;
  result?: string | null;
  error?: string | null;
  wakeAt?: number | null;
  statusReason?: string | null;
  /** JSON text of the run's request context as its steps left it (written when a step changed it). */
  requestContext?: string | null;
  /** Set to true to give the run up (owner and lease cleared). */
  release?: boolean;
}

/** One item of Store.createRunsSettled: what createRuns returns for it, or why it alone failed. */
export type SettledCreate =
  | { created: boolean; run: RunRecord; error?: undefined }
  | { error: Error; created?: undefined; run?: undefined };

export interface ListRunsFilter {
  workflowId?: string;
  status?: RunStatus | RunStatus[];
  resourceId?: string;
  fromDate?: number;
  toDate?: number;
  /** Runs whose id starts with this text (a search box). */
  runIdPrefix?: string;
  /**
   * Keyset cursor: only runs listed after this one (older, in listing order: createdAt then id, both
   * descending). The total ignores it: it counts the whole filter, so a cursor page still says "of N".
   */
  before?: { createdAt: number; runId: string };
  /** Only runs that carry every one of these labels (NewRun.labels), through the label index. */
  labels?: string[];
  /** 0-based page. */
  page?: number;
  perPage?: number;
}

export interface ListRunsResult {
  runs: RunRecord[];
  total: number;
}

/** A rerun's link to its source run, or a source's link to one of its reruns. */
export interface RunLink {
  runId: string;
  /** The step the rerun executes from. */
  step: string;
  /** When the rerun was created (the link was made). */
  createdAt: number;
}

/**
 * A run's links: where it was copied from (null for a run that is no rerun) and its reruns; the run that
 * started it as a child and the child runs it started (`step` is then the path of the parent's journal
 * row that waits for the child).
 */
export interface RunLinks {
  rerunOf: RunLink | null;
  /** Newest first. */
  reruns: RunLink[];
  parent: RunLink | null;
  /** Oldest first (the order they were started in). */
  children: RunLink[];
}

/** A cron schedule's shared state (the expression itself is in code). */
export interface ScheduleRecord {
  workflowId: string;
  paused: boolean;
  /** Fires at or after this time are due (set when first seen and on resume). */
  since: number;
  lastFireAt: number | null;
  updatedAt: number;
}
