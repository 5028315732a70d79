import { PayloadError } from '../../errors.js';
import { MAX_CHUNK_BYTES } from '../../domain/limits.js';
import { streamedMeta } from '../../domain/journal-meta.js';
import type { JournalEntry, NewChunk, WriteOp } from '../../store/types.js';
import type { GroupCommitter } from '../group-commit.js';
import { encodeChecked } from '../payload.js';

/** The step call a chunk belongs to. */
export interface ChunkCall {
  /** Journal path of the call's row. */
  path: string;
  /** The id its events carry. */
  step: string;
  /** 1-based attempt. */
  attempt: number;
  startedAt: number;
}

export interface ChunkJournalHost {
  runId: string;
  epoch: number;
  committer: GroupCommitter;
  now(): number;
  maxPayloadBytes: number;
  /** Counts `bytes` against the run's size budget (maxRunBytes); throws PayloadError when over it. */
  charge(bytes: number, what: string): void;
}

/**
 * The chunks one execution writes to its run's stream (docs/durability.md, "Run streams"). Chunks are
 * buffered for the current event-loop turn and queued to the group committer as one op, before any
 * later write of the run: the committer keeps a run's order, so a step's row never commits before the
 * chunks it wrote. A run that writes no chunks never reaches this class (no op, no query).
 *
 * The first chunk of a call is preceded by a `workflow-step-start` row, so a durable reader sees the
 * call start before its output; the call's row then carries `streamed: true` in its meta, and readers
 * take the start from the stream instead of the row. A call's chunks are closed with the row that
 * keeps them (success, suspended); a retry voids the open chunks of its earlier attempts, and a new
 * owner those the previous owner left open (see StreamOp).
 */
export class ChunkJournal {
  private buffer: NewChunk[] = [];
  private scheduled = false;
  /** Calls that wrote chunks and whose outcome was not recorded yet, by path. */
  private readonly open = new Map<string, ChunkCall>();

  constructor(private readonly host: ChunkJournalHost) {}

  /** Encodes, checks and buffers a chunk. Throws PayloadError (too large, over budget, not JSON). */
  write(call: ChunkCall, type: string, payload: Record<string, unknown>): void {
    const limit = Math.min(MAX_CHUNK_BYTES, this.host.maxPayloadBytes);
    let text: string | null;
    try {
      text = encodeChecked(payload, 'a stream chunk', Number.MAX_SAFE_INTEGER).text;
    } catch (err) {
      throw err instanceof PayloadError ? err : new PayloadError('PAYLOAD_NOT_SERIALIZABLE', `a stream chunk of step "${call.step}" cannot be stored`);
    }
    const json = text ?? '{}';
    const bytes = json.length * 3 > limit ? Buffer.byteLength(json) : json.length;
    if (bytes > limit) {
      throw new PayloadError('STREAM_CHUNK_TOO_LARGE', `a stream chunk of step "${call.step}" is ${bytes} bytes, over the limit of ${limit}; write it in smaller chunks`);
    }
    this.host.charge(bytes, `a stream chunk of step "${call.step}"`);
    const known = this.open.get(call.path);
    if (!known || known.startedAt !== call.startedAt || known.attempt !== call.attempt) {
      this.open.set(call.path, call);
      const start = JSON.stringify({ id: call.step, startedAt: call.startedAt, status: 'running' });
      this.buffer.push({ path: call.path, step: call.step, attempt: call.attempt, type: 'workflow-step-start', payload: start });
    }
    this.buffer.push({ path: call.path, step: call.step, attempt: call.attempt, type, payload: json });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Queues the buffered chunks now (before a write of the run that must commit after them). */
  flush(): void {
    this.scheduled = false;
    if (this.buffer.length === 0) return;
    const chunks = this.buffer;
    this.buffer = [];
    // A failed chunk write (the lease was lost, the store refused it) fails the run's next write too,
    // which reports it; nothing waits on this promise.
    this.host.committer.write({ type: 'chunks', runId: this.host.runId, epoch: this.host.epoch, now: this.host.now(), chunks }).catch(() => {});
  }

  /**
   * Ops to write with `entry` (after the buffered chunks, which this flushes): a row that keeps its
   * call's chunks closes them, and is marked as having streamed its start. Returns the entry to write.
   */
  withRow(entry: JournalEntry, ops: WriteOp[]): JournalEntry {
    this.flush();
    const call = this.open.get(entry.path);
    if (!call || call.startedAt !== entry.startedAt) return entry;
    this.open.delete(entry.path);
    if (entry.status !== 'success' && entry.status !== 'suspended') return markStreamed(entry);
    ops.push({ type: 'stream-close', runId: this.host.runId, epoch: this.host.epoch, path: call.path, attempt: call.attempt });
    return markStreamed(entry);
  }

  /** The call at `path` goes on with attempt `nextAttempt`: its earlier attempts' open chunks are voided. */
  supersede(path: string, nextAttempt: number): boolean {
    if (!this.open.has(path)) return false;
    this.open.delete(path);
    this.flush();
    this.host.committer.write({ type: 'stream-void', runId: this.host.runId, epoch: this.host.epoch, now: this.host.now(), path, beforeAttempt: nextAttempt }).catch(() => {});
    return true;
  }

  /** A new owner: voids the chunks earlier owners left open (calls in flight when they stopped). */
  takeOver(): void {
    this.host.committer.write({ type: 'stream-void', runId: this.host.runId, epoch: this.host.epoch, now: this.host.now() }).catch(() => {});
  }
}

function markStreamed(entry: JournalEntry): JournalEntry {
  return { ...entry, meta: streamedMeta(entry.meta) };
}
