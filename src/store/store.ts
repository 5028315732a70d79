import type { ChildWaitRequest, ChildWaitResult, EventPruneRequest, SendEventRequest, SendEventResult, StoredEvent, WaitRequest, WaitResult } from './event-records.js';
import type { JournalEntry, JournalGeneration, StreamRow, WriteOp, WriteOutcome } from './journal-records.js';
import type { ListRunsFilter, ListRunsResult, NewRun, RunHead, RunLinks, RunRecord, ScanRunsOptions, ScheduleRecord, SettledCreate } from './run-records.js';
import type { AdmitOutcome, ClaimedRun, ClaimOptions, FlowAdmission, HoldRequest, PruneRequest, ResumeRequest, RetryRequest, ReviseRequest } from './run-requests.js';

/**
 * The Store is the only layer that knows about databases. The engine and workers talk to it through
 * this domain-level interface; every implementation (memory, SQLite, PostgreSQL) passes the shared
 * contract suite in test/store/contract.ts.
 *
 * Payload fields are JSON text. The engine serialises each value exactly once (where it also enforces
 * the payload limit), so stores never re-encode user data.
 */

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
  /**
   * Optional: a new run id for a run of this workflow, for stores that place runs by id (the sharded
   * store: an id that routes to the shard the workflow's runs belong on). The engine calls it for every
   * run it starts without a caller-given id; without it, ids are UUIDv7 (domain/ids.ts).
   */
  newRunId?(workflowId: string, now: number): string;
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
  /**
   * Optional (every built-in store has it): a parent run waits for its child, atomically with reading
   * the child's status (see ChildWaitRequest). Stores without it do not support child runs.
   */
  registerChildWait?(req: ChildWaitRequest): Promise<ChildWaitResult>;
  /**
   * Optional (sharded stores): a run id derived from `candidate` that lives where `nearRunId` lives (a
   * child run must share its parent's database: its outcome wakes the parent in one transaction). The
   * same inputs always give the same id. Stores that are one database do not need it.
   */
  colocatedRunId?(nearRunId: string, candidate: string): string;

  /** Inserts a schedule row unless it exists (since = now); returns the stored row. */
  ensureSchedule(workflowId: string, now: number): Promise<ScheduleRecord>;
  listSchedules(): Promise<ScheduleRecord[]>;
  /** Pauses or resumes; resuming moves `since` to now (fires missed while paused are skipped). Null if absent. */
  setSchedulePaused(workflowId: string, paused: boolean, now: number): Promise<ScheduleRecord | null>;
  /** Records that the fire at `fireAt` was handled (keeps the latest). */
  markScheduleFired(workflowId: string, fireAt: number, now: number): Promise<void>;
}
