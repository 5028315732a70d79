import type { StoredBlob } from '../domain/value-codec.js';
import type { RunPatch } from './run-records.js';

/** A run's journal rows and stream rows, and the fenced writes (WriteOp) that change them and the run. */

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

/** An earlier journal of a run, kept when time travel replaced it. */
export interface JournalGeneration {
  generation: number;
  reason: string;
  archivedAt: number;
  rows: JournalEntry[];
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
