/**
 * The store's types, gathered from their modules so stores, the engine and tools import them from one
 * place: the Store interface (store.ts), run records (run-records.ts), journal and stream rows and the
 * fenced writes (journal-records.ts), requests about a run's course (run-requests.ts), and events and
 * waits (event-records.ts).
 */

export type { RunStatus } from '../domain/run-status.js';
export { TERMINAL_STATUSES, ACTIVE_STATUSES, isTerminal } from '../domain/run-status.js';
export type { Store, StoreEvent } from './store.js';
export type {
  ListRunsFilter,
  ListRunsResult,
  NewRun,
  RunHead,
  RunLink,
  RunLinks,
  RunPatch,
  RunRecord,
  ScanRunsOptions,
  ScheduleRecord,
  SettledCreate,
} from './run-records.js';
export { STREAM_RESET, isStreamOp, runIdOf } from './journal-records.js';
export type { JournalEntry, JournalGeneration, JournalKind, JournalStatus, NewChunk, StreamOp, StreamRow, WriteOp, WriteOutcome } from './journal-records.js';
export type {
  AdmitOutcome,
  ClaimOptions,
  ClaimedRun,
  FlowAdmission,
  HoldRequest,
  PruneRequest,
  ResumeRequest,
  RetryRequest,
  ReviseRequest,
} from './run-requests.js';
export type {
  ChildWaitRequest,
  ChildWaitResult,
  EventPruneRequest,
  NewEvent,
  SendEventRequest,
  SendEventResult,
  StoredEvent,
  WaitRequest,
  WaitResult,
} from './event-records.js';
