import { isSettled } from '../../domain/run-status.js';
import type { BlobSource } from '../../domain/value-codec.js';
import { expandRows, rowsNeedBlobs } from '../shared/blob-rows.js';
import { insertedRecord } from '../shared/run-rules.js';
import { rowPositions } from '../shared/stream-rules.js';
import type { JournalEntry, JournalGeneration, NewRun, RunRecord } from '../types.js';
import { MemoryChildren } from './children.js';
import { MemoryEvents } from './events.js';
import { FlowBook } from './flow-book.js';
import { RunIndex, type IndexedRun } from './run-index.js';
import { MemoryStreams } from './streams.js';

export interface MemoryRun extends IndexedRun {
  record: RunRecord;
  journal: Map<string, JournalEntry>;
  history?: JournalGeneration[];
  rerunOf?: { runId: string; step: string };
  /** For a child run: its parent and the path of the parent's row that waits for it. */
  parent?: { runId: string; path: string };
  /** The run's blobs by hash (values stored by reference, domain/value-codec.ts). */
  blobs?: Map<string, string>;
}

/**
 * The memory store's data: its runs with their indexes, and the books (events, flow control, streams,
 * child runs) that read and change them. MemoryStore and the modules beside it (claims.ts,
 * run-commands.ts, flow-admission.ts) work on one of these.
 */
export class MemoryRuns {
  readonly runs = new Map<string, MemoryRun>();
  readonly index = new RunIndex<MemoryRun>();
  /** Settled runs still owned (their lifecycle callbacks are not recorded yet): few, so kept apart. */
  readonly held = new Set<MemoryRun>();
  readonly eventBook = new MemoryEvents({
    run: (id) => this.runs.get(id),
    positioned: (prev, entry) => this.positioned(prev, entry),
    create: (run) => this.createOne(run).created,
    changed: (id) => {
      const r = this.runs.get(id);
      if (!r) return;
      this.index.refresh(r);
      this.noteHeld(r);
    },
  });
  readonly flow = new FlowBook();
  readonly streams = new MemoryStreams();
  /** The stream position last handed out (journal rows and chunks share it). */
  private streamPos = 0;
  readonly nextPos = (): number => ++this.streamPos;
  readonly children = new MemoryChildren<MemoryRun>({
    run: (id) => this.runs.get(id),
    changed: (r) => {
      this.index.refresh(r);
      this.noteHeld(r);
    },
  });

  /** Call after anything that may have changed a run's owner or status. */
  noteHeld(r: MemoryRun): void {
    if (r.record.owner !== null && isSettled(r.record.status) && !r.gone) this.held.add(r);
    else this.held.delete(r);
  }

  createOne(run: NewRun): { created: boolean; run: RunRecord } {
    const existing = this.runs.get(run.runId);
    if (existing) return { created: false, run: { ...existing.record } };
    const record = insertedRecord(run);
    const r: MemoryRun = { record, journal: new Map() };
    if (run.labels) r.labels = new Set(JSON.parse(run.labels) as string[]);
    if (run.rerunOf) r.rerunOf = { ...run.rerunOf };
    this.children.link(r, run.parent);
    this.runs.set(run.runId, r);
    this.index.add(r);
    return { created: true, run: { ...record } };
  }

  /** A copy of `entry` with its stream positions (a new one taken when the write is a new event). */
  positioned(prev: JournalEntry | undefined, entry: JournalEntry): JournalEntry {
    const row = { ...entry, ...rowPositions(prev, entry, this.streamPos + 1) };
    if (row.pos === this.streamPos + 1) this.streamPos++;
    return row;
  }
}

/** Where the run's values stored by reference are found. */
export function blobSource(r: MemoryRun | undefined): BlobSource {
  return (h) => r?.blobs?.get(h);
}

/** The run's journal in seq order, as copies, with every blob reference resolved. */
export function journalOf(r: MemoryRun): JournalEntry[] {
  const rows = [...r.journal.values()].map((e, i) => ({ ...e, seq: i + 1 }));
  return r.blobs && rowsNeedBlobs(rows) ? expandRows(rows, blobSource(r)) : rows;
}
