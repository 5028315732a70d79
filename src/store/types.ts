/**
 * The Store is the only layer that knows about databases. The engine and workers talk to it through
 * this domain-level interface; every implementation (memory, SQLite, PostgreSQL) passes the shared
 * contract suite in test/store/contract.ts.
 *
 * Payload fields are JSON text. The engine serialises each value exactly once (where it also enforces
 * the payload limit), so stores never re-encode user data.
 */

import type { RunStatus } from '../domain/run-status.js';
import type { StoredBlob } from '../domain/value-codec.js';

export type { RunStatus };
export { TERMINAL_STATUSES, ACTIVE_STATUSES, isTerminal } from '../domain/run-status.js';

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
  createdAt: number;
  updatedAt: number;
}

export type JournalStatus = 'success' | 'failed' | 'suspended' | 'resumed' | 'waiting' | 'retrying';

/**
 * One row per node path. `kind` tells the result builder how to show it: 'step' rows are steps,
 * 'item' rows are foreach iterations (folded into their foreach step), 'decision' rows record branch
 * choices, loop conditions and the like (never shown as steps).
 */
export type JournalKind = 'step' | 'item' | 'decision';

export interface JournalEntry {
  runId: string;
  path: string;
  kind: JournalKind;
  status: JournalStatus;
  /** 1-based count of attempts made so far. */
  attempt: number;
  input: string | null;
  output: string | null;
  error: string | null;
  /** JSON text of extra fields: suspendPayload, resumePayload, resumeLabels, statePatch, wakeAt. */
  meta: string | null;
  startedAt: number;
  endedAt: number | null;
  /** Insertion order within the run, assigned by the store. */
  seq?: number;
  /**
   * Read only: the run stream position (shared with the stream's chunks, see StreamRow) of the row's
   * latest outcome, and of the first write of the step call it records (its start). The store assigns
   * a new `pos` when a write changes the row's status or start time, and keeps it otherwise (a
   * compaction or a rewrite of the same outcome is no new event); `firstPos` stays while the start time
   * does. Absent on rows of stores written before stream positions (read as 0).
   */
  pos?: number;
  firstPos?: number;
  /**
   * Write only: blobs of the run that `input`/`output` reference (domain/value-codec.ts) and that this
   * row is the first to need. The store keeps them with the run, in the same transaction as the row
   * (a blob already stored is kept as it is), and deletes them with the run. Rows read back never carry
   * blobs: their values come back with every reference resolved.
   */
  blobs?: StoredBlob[];
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

/** One output chunk a step call wrote (writer.write, writer.custom, an agent's text), to store. */
export interface NewChunk {
  /** The journal path of the step call that wrote it. */
  path: string;
  /** The step id its events show (the display id: nested prefixes included). */
  step: string;
  /** 1-based attempt of the call. */
  attempt: number;
  /** The event type: 'workflow-step-output' or a custom 'data-*' type. */
  type: string;
  /** JSON text of the event payload. */
  payload: string;
}

/**
 * One row of a run's stream (docs/durability.md, "Run streams"): an output chunk, or a reset that voids
 * chunks written earlier (`type` STREAM_RESET, `payload` JSON `{ "voided": [positions] }`). `pos` is the
 * store's stream position, shared with the journal rows' `pos` (one order per store, increasing with
 * every commit that writes to the run), so a reader can continue after any position in any process.
 */
export interface StreamRow {
  runId: string;
  pos: number;
  path: string;
  step: string;
  attempt: number;
  type: string;
  payload: string;
}

/** The type of the stream row that voids chunks of a superseded step call. */
export const STREAM_RESET = 'workflow-step-output-reset';

/**
 * Stream writes, applied in order with the batch's other ops (and fenced like them). Chunks start
 * open; a call's chunks are closed with the write of the outcome that keeps them. A void deletes open
 * chunks and, when it deleted any, appends one STREAM_RESET row per step path naming them:
 * - `path` and `beforeAttempt`: that path's open chunks of earlier attempts under this epoch (a retry);
 * - neither: every open chunk written under an earlier epoch (a new owner takes over: calls that were in
 *   flight when the previous owner stopped will run again).
 */
export type StreamOp =
  | { type: 'chunks'; runId: string; epoch: number; now: number; chunks: NewChunk[] }
  | { type: 'stream-close'; runId: string; epoch: number; path: string; attempt: number }
  | { type: 'stream-void'; runId: string; epoch: number; now: number; path?: string; beforeAttempt?: number };

/** A write made under a lease: applied only while the run's epoch still equals `epoch`. */
export type WriteOp =
  | { type: 'journal'; epoch: number; entry: JournalEntry }
  | { type: 'run'; runId: string; epoch: number; patch: RunPatch; now: number }
  | StreamOp;

/** The run a write belongs to (its fencing unit). */
export function runIdOf(op: WriteOp): string {
  return op.type === 'journal' ? op.entry.runId : op.runId;
}

export function isStreamOp(op: WriteOp): op is StreamOp {
  return op.type === 'chunks' || op.type === 'stream-close' || op.type === 'stream-void';
}

export interface WriteOutcome {
  /** Run ids whose writes were rejected because the epoch no longer matched. */
  fenced: string[];
  /**
   * writeSettled only: runs none of whose ops in this batch were applied, and why (bad data the store
   * refused, or a retryable error met after other runs of the batch had committed). Other runs committed.
   */
  failed?: { runId: string; error: Error }[];
  /**
   * writeSettled only: runs whose row another transaction holds locked right now. Nothing of theirs was
   * applied and the store did not wait; send their ops again later (in order, before any newer op).
   */
  deferred?: string[];
}

/** One item of Store.createRunsSettled: what createRuns returns for it, or why it alone failed. */
export type SettledCreate =
  | { created: boolean; run: RunRecord; error?: undefined }
  | { error: Error; created?: undefined; run?: undefined };

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

/**
 * What other processes did, as far as this process needs to know (see Store.subscribe):
 * - runnable: a run of this workflow can be claimed now (created pending, resumed, released);
 * - canceled: the run was canceled (its owner must abort its steps);
 * - settled: the run reached success, failed or suspended (waiters reload it);
 * - reconnected: notifications may have been missed (the listener reconnected): re-check everything.
 */
export type StoreEvent =
  | { type: 'runnable'; workflowId: string }
  | { type: 'canceled'; workflowId: string; runId: string }
  | { type: 'settled'; workflowId: string; runId: string }
  | { type: 'reconnected' };

/** A cron schedule's shared state (the expression itself is in code). */
export interface ScheduleRecord {
  workflowId: string;
  paused: boolean;
  /** Fires at or after this time are due (set when first seen and on resume). */
  since: number;
  lastFireAt: number | null;
  updatedAt: number;
}

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

/** A run's rerun links: where it was copied from (null for a run that is no rerun), and its reruns. */
export interface RunLinks {
  rerunOf: RunLink | null;
  /** Newest first. */
  reruns: RunLink[];
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

/**
 * A batch of event pruning (retention): up to `limit` stored events are deleted with their delivery
 * records, the ones past their `expiresAt` (before `now`) and the ones sent to one run that this run
 * took before `consumedBefore` (a run takes an event once, so nothing can take them again). Deleting a
 * token's completion (`token:<hash>`) deletes the token's record (`token-record:<hash>`) with it, so a
 * token never works twice.
 */
export interface EventPruneRequest {
  now: number;
  consumedBefore: number;
  limit: number;
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

/** An earlier journal of a run, kept when time travel replaced it. */
export interface JournalGeneration {
  generation: number;
  reason: string;
  archivedAt: number;
  rows: JournalEntry[];
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

export interface RetryRequest {
  runId: string;
  now: number;
  /** When set, the retried run is claimed at once by this owner. */
  owner: string | null;
  leaseExpiresAt: number | null;
}

/**
 * An event as sent (weft.sendEvent, run.sendEvent, POST /api/events/:name). Stored first, then delivered:
 * to the runs waiting for it now, and to runs that reach a matching wait later (within a window).
 */
export interface NewEvent {
  /** Idempotency key: a second send with the same id stores and delivers nothing. */
  id: string;
  name: string;
  /** Correlation key (matched against a wait's `match` key); null: only waits without a key get it. */
  key: string | null;
  /** Set when the event is sent to one run (run.sendEvent): only that run's waits get it. */
  runId: string | null;
  /** JSON text of the event's data. */
  data: string | null;
  now: number;
  /**
   * When retention may delete the event's record (ms): the end of its early-event window for an event,
   * the expiry for a token's record. Default: `now` + DEFAULT_EVENT_KEEP_MS. See EventPruneRequest.
   */
  expiresAt?: number;
}

export interface StoredEvent {
  id: string;
  name: string;
  key: string | null;
  runId: string | null;
  data: string | null;
  createdAt: number;
}

export interface SendEventRequest {
  event: NewEvent;
  /** Runs the event starts (workflow triggers), created in the same transaction, only when the event is new. */
  startRuns?: NewRun[];
}

export interface SendEventResult {
  /** False when an event with this id was stored before (nothing was delivered or started). */
  created: boolean;
  /** Runs the event was delivered to now (made runnable). */
  delivered: { runId: string; workflowId: string }[];
  /** Ids of the runs the event started (created now). */
  started: string[];
}

/**
 * A run reaching a wait for events (under its lease: applied only while its epoch equals `epoch`). The
 * store looks for an event stored since `since` that matches and was not delivered to this run yet: when
 * there is one, it is delivered now (the row is written 'resumed' with it, atomically); otherwise the
 * row is written as given ('waiting') and the wait is registered, so a later send finds the run.
 */
export interface WaitRequest {
  runId: string;
  epoch: number;
  /** The waiting journal row (status 'waiting', meta.wait set); its path is the wait's. */
  entry: JournalEntry;
  names: string[];
  /** null: any event of these names (events sent with or without a key). */
  key: string | null;
  since: number;
  now: number;
}

export type WaitResult = { fenced: true } | { fenced: false; event: StoredEvent | null };

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

export interface Store {
  readonly kind: 'memory' | 'sqlite' | 'postgres';
  /**
   * Optional: how far the store's clock is ahead of this process's, in ms, as last measured. A store
   * that grants and judges leases by its own clock (PostgreSQL: the database's) exposes it so the
   * engine can write its timestamps (wake times, run and step times) on that same clock.
   */
  readonly clockOffsetMs?: number;
  /**
   * Optional: the clock the store measures its offset against. The engine passes its own (the wall
   * clock, or a test's), so a skewed or fake clock is measured like the real one would be.
   */
  setClock?(now: () => number): void;
  /** Opens connections and applies migrations. Idempotent. */
  open(): Promise<void>;
  close(): Promise<void>;

  /**
   * Inserts a run; when the id exists, returns the existing run with created=false. The engine creates
   * runs through createRuns (group commit); this single-run form is for tools, tests and the contract
   * suite, which sets up its states with it.
   */
  createRun(run: NewRun): Promise<{ created: boolean; run: RunRecord }>;
  /**
   * Inserts many runs in one transaction (group commit of startAsync bursts). Results are in input
   * order; an id that already existed (or repeats within the batch) comes back with created=false.
   */
  createRuns(runs: NewRun[]): Promise<{ created: boolean; run: RunRecord }[]>;
  /**
   * Optional: createRuns that isolates failures. An item the store refuses (INVALID_ARGUMENT, or data
   * the database rejects) comes back as { error } and every other item is committed; errors that are not
   * about one item's data (connection lost, store closed) still reject the whole call.
   */
  createRunsSettled?(runs: NewRun[]): Promise<SettledCreate[]>;
  /**
   * Creates a run under its workflow's start-time flow control (idempotency window, rate limit,
   * singleton, debounce, batch), atomically with every other admission of the same workflow across
   * the processes sharing the store. See shared/flow-rules.ts for the order and the outcomes.
   */
  admitRun(req: FlowAdmission): Promise<AdmitOutcome>;
  loadRun(runId: string): Promise<RunRecord | null>;
  loadJournal(runId: string): Promise<JournalEntry[]>;
  /**
   * Runs in the given statuses in id order (byte-wise), a page at a time, with only the fields a
   * journal check needs: `weft check` walks every unfinished run this way without loading payloads.
   */
  scanRuns(opts: ScanRunsOptions): Promise<RunHead[]>;
  /** The journals of many runs in one read: rows grouped by run (in `runIds` order), each run's in seq order. */
  loadJournals(runIds: readonly string[]): Promise<JournalEntry[]>;
  listRuns(filter: ListRunsFilter): Promise<ListRunsResult>;
  /** Removes a run, its journal, its history, its blobs and its stream. Returns whether it existed. */
  deleteRun(runId: string): Promise<boolean>;
  /**
   * The run's stream rows (chunks and resets) after position `after`, in position order, at most
   * `limit`. Empty for a run without chunks (or no such run).
   */
  readStream(runId: string, after: number, limit: number): Promise<StreamRow[]>;
  /** Bytes of blob data stored for the run (0 when none or no such run): what its size budget counts. */
  blobBytes(runId: string): Promise<number>;

  /** Applies a batch of fenced writes in one transaction (group commit). */
  write(ops: WriteOp[]): Promise<WriteOutcome>;
  /**
   * Optional: write that isolates runs from each other. A run whose ops the store refuses comes back in
   * `failed` and a run whose row another transaction holds locked in `deferred` (without waiting for
   * the lock); every other run's ops are committed. Errors that are not about one run (connection lost)
   * still reject the whole call, with nothing applied.
   */
  writeSettled?(ops: WriteOp[]): Promise<WriteOutcome>;

  /**
   * Claims one specific run if it is claimable (pending, lease expired, or waiting and due). The engine
   * claims through claimRuns; this is the claimability rule on one run, for tools (take this run now)
   * and for the contract suite, which checks the rule run by run with it.
   */
  claimRun(runId: string, opts: Omit<ClaimOptions, 'limit' | 'workflowIds'>): Promise<ClaimedRun | null>;
  /** Claims up to `limit` runnable runs, highest priority and oldest first. */
  claimRuns(opts: ClaimOptions): Promise<ClaimedRun[]>;
  /**
   * Optional: claims up to `limit` settled runs (success, failed, canceled, suspended) that still have
   * an owner whose lease expired: their owner settled them without releasing them and died before its
   * work after the outcome (lifecycle callbacks) was recorded. The claim keeps the status, takes the
   * lease and bumps the epoch; `runId` limits it to that run. Limits (ClaimOptions.limits) do not apply.
   */
  claimUnreleased?(opts: ClaimOptions & { runId?: string }): Promise<ClaimedRun[]>;
  /**
   * Extends the leases of the given runs (running, or settled and not yet released); returns the ids
   * this owner no longer holds, and (optional) the ids still held but not extended this time (their
   * row was locked by another transaction).
   */
  renewLeases(owner: string, runIds: string[], leaseMs: number, now: number): Promise<{ lost: string[]; skipped?: string[] }>;
  /** Distinct owners holding unexpired leases (used to detect dead processes on one host). */
  listOwners(now: number): Promise<string[]>;
  /** Expires every lease held by `owner` at once (its process is known to be dead). Returns run count. */
  expireOwner(owner: string): Promise<number>;
  /** Earliest wake time among waiting runs of these workflows, or null. */
  nextWakeAt(workflowIds: string[]): Promise<number | null>;

  /**
   * Atomically moves a suspended run to pending (or running for `owner`), bumps its epoch and marks the
   * journal row at `path` (or every row in `paths`) as resumed with the data. Throws RunNotFoundError,
   * RunNotSuspendedError (StepNotSuspendedError when a row is not suspended) or ResumeConflictError
   * (when another resume won the race).
   */
  resumeRun(req: ResumeRequest): Promise<RunRecord>;
  /**
   * Marks a non-terminal run canceled and bumps its epoch so its current owner is fenced out.
   * Returns the run after the change, or the unchanged run when it was already terminal; null if absent.
   * With `hold`, the canceled run is kept by that owner (not released) for its lifecycle callbacks.
   */
  cancelRun(runId: string, now: number, hold?: HoldRequest): Promise<RunRecord | null>;
  /**
   * Retries a failed run from its failed step: the journal rows that recorded failures are removed
   * (successful steps stay and are replayed), the error is cleared, the epoch bumped and the run made
   * pending (or running for `owner`). Throws RunNotFoundError, or RunConflictError when not failed.
   */
  retryRun(req: RetryRequest): Promise<RunRecord>;
  /** See ReviseRequest. Returns the revised run (and its journal) as claimed by `owner`, if given. */
  reviseRun(req: ReviseRequest): Promise<ClaimedRun>;
  /** The run's earlier journals (oldest first), kept when it was rewound; empty when never rewound. */
  loadHistory(runId: string): Promise<JournalGeneration[]>;
  /** Optional: the run's rerun links (both ways). Stores without it keep no links. */
  loadLinks?(runId: string): Promise<RunLinks>;
  /** Optional: one batch of retention pruning (see PruneRequest); returns how many runs were deleted. */
  pruneRuns?(req: PruneRequest): Promise<number>;
  /** Optional: one batch of event pruning (see EventPruneRequest); returns how many events were deleted. */
  pruneEvents?(req: EventPruneRequest): Promise<number>;

  /**
   * Optional: delivers events from other processes (PostgreSQL LISTEN/NOTIFY). Stores without it rely
   * on polling. Resolves once listening; the returned function stops the subscription.
   */
  subscribe?(onEvent: (event: StoreEvent) => void): Promise<() => Promise<void>>;

  /**
   * Optional housekeeping a worker calls now and then (about every 30 s): PostgreSQL analyzes weft's
   * tables when they changed a lot since their statistics were taken. Must be cheap when there is
   * nothing to do.
   */
  maintain?(): Promise<void>;

  /**
   * Optional (every built-in store has it): stores an event unless its id exists, then delivers it to
   * every run waiting for it (each run gets an event once) and creates the runs it starts, in one
   * transaction. A delivered run's wait row becomes 'resumed' with the event; the run becomes pending
   * (a new epoch: an owner that was about to park it is fenced) unless it is paused or suspended.
   */
  sendEvent?(req: SendEventRequest): Promise<SendEventResult>;
  /** Optional (see sendEvent): registers a wait, or delivers an event stored earlier. See WaitRequest. */
  registerWait?(req: WaitRequest): Promise<WaitResult>;
  /** Optional: the stored event with this id, or null. */
  loadEvent?(id: string): Promise<StoredEvent | null>;

  /** Inserts a schedule row unless it exists (since = now); returns the stored row. */
  ensureSchedule(workflowId: string, now: number): Promise<ScheduleRecord>;
  listSchedules(): Promise<ScheduleRecord[]>;
  /** Pauses or resumes; resuming moves `since` to now (fires missed while paused are skipped). Null if absent. */
  setSchedulePaused(workflowId: string, paused: boolean, now: number): Promise<ScheduleRecord | null>;
  /** Records that the fire at `fireAt` was handled (keeps the latest). */
  markScheduleFired(workflowId: string, fireAt: number, now: number): Promise<void>;
}
