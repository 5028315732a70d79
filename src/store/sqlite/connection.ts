import { StoreError } from '../../errors.js';
import { insertedRecord } from '../shared/run-rules.js';
import type { JournalEntry, NewRun, RunRecord, StreamOp, WriteOp, WriteOutcome } from '../types.js';
import { isStreamOp, runIdOf } from '../types.js';
import { EventQueries } from './event-queries.js';
import { FlowQueries } from './flow-queries.js';
import { HistoryQueries } from './history-queries.js';
import { JournalQueries } from './journal-queries.js';
import { migrateDatabase } from './migrations.js';
import type { SqliteDb } from './open.js';
import { RunKeys } from './run-keys.js';
import { RunQueries } from './run-queries.js';
import { StreamClock, StreamQueries } from './stream-queries.js';
import { WorkerQueries } from './workers.js';

/** The SQLite store's open connection: its statements, prepared once, and its compiled write transactions. */
export interface Connection {
  db: SqliteDb;
  runs: RunQueries;
  keys: RunKeys;
  journal: JournalQueries;
  streams: StreamQueries;
  history: HistoryQueries;
  workers: WorkerQueries;
  events: EventQueries;
  /** Applies a write batch; a better-sqlite3 transaction function, compiled once. */
  write: (ops: WriteOp[]) => WriteOutcome;
  /** Inserts a batch of runs in one transaction, compiled once. */
  createMany: (runs: NewRun[]) => { created: boolean; run: RunRecord }[];
  flow: FlowQueries;
}

/** Migrates a freshly opened database and prepares everything the store runs on it. */
export function connect(db: SqliteDb): Connection {
  migrateDatabase(db);
  const runs = new RunQueries(db);
  const keys = new RunKeys(db);
  const clock = new StreamClock(db);
  const journal = new JournalQueries(db, clock);
  const streams = new StreamQueries(db, clock);
  const write = db.transaction((ops: WriteOp[]) => applyBatch(runs, keys, journal, streams, ops));
  const createMany = db.transaction((batch: NewRun[]) => batch.map((r) => createOne(runs, keys, r)));
  // A transaction that failed was rolled back: what it taught the key cache may not be true.
  const rolledBack = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      keys.reset();
      throw err;
    }
  };
  return {
    db,
    runs,
    keys,
    journal,
    streams,
    history: new HistoryQueries(db),
    workers: new WorkerQueries(db),
    events: new EventQueries(db),
    write: (ops) => rolledBack(() => write.immediate(ops)),
    createMany: (b) => rolledBack(() => createMany.immediate(b)),
    flow: new FlowQueries(db),
  };
}

export function createOne(runs: RunQueries, keys: RunKeys, run: NewRun): { created: boolean; run: RunRecord } {
  const rk = runs.insertRun(run);
  if (rk !== undefined) {
    keys.remember(run.runId, rk, 1);
    return { created: true, run: insertedRecord(run) };
  }
  const existing = runs.get(run.runId);
  if (!existing) throw new StoreError(`createRun: run ${run.runId} neither inserted nor found`);
  return { created: false, run: existing };
}

/**
 * The group-commit hot path. A run's rk and epoch come from RunKeys (cached while no other connection
 * wrote); seq is the journal's rowid, assigned by the insert. A patch that releases the run ends this
 * process's interest in it, so its cache entry goes.
 */
function applyBatch(runs: RunQueries, keys: RunKeys, journal: JournalQueries, streams: StreamQueries, ops: WriteOp[]): WriteOutcome {
  keys.sync();
  const fenced = new Set<string>();
  // Journal rows are written together at the end, several per statement; their order is kept, and
  // rows of different tables do not depend on each other within the transaction.
  const rowKeys: number[] = [];
  const rows: JournalEntry[] = [];
  // Stream ops go in before the journal rows, in their order: a step's result row then takes a later
  // position than the chunks it wrote before returning. Only batches with chunks have any.
  let stream: { key: number; op: StreamOp }[] | undefined;
  let lateFence = false;
  for (const op of ops) {
    const runId = runIdOf(op);
    const key = fenced.has(runId) ? undefined : keys.lookup(runId);
    if (key === undefined || key[1] !== op.epoch) {
      fenced.add(runId);
      continue;
    }
    if (op.type === 'journal') {
      rowKeys.push(key[0]);
      rows.push(op.entry);
    } else if (isStreamOp(op)) {
      (stream ??= []).push({ key: key[0], op });
    } else if (!runs.applyPatch(key[0], op.epoch, op.patch, op.now)) {
      // Cannot happen while the cache is right (the epoch was just checked); fence rather than trust it,
      // and drop the run's journal rows collected before this op too.
      keys.forget(runId);
      fenced.add(runId);
      lateFence = true;
    } else if (op.patch.release) {
      keys.forget(runId);
    }
  }
  if (stream) for (const s of stream) if (!fenced.has(s.op.runId)) streams.apply(s.key, s.op);
  if (lateFence) {
    const keep = rows.map((e) => !fenced.has(e.runId));
    journal.upsertAll(rowKeys.filter((_, i) => keep[i]), rows.filter((_, i) => keep[i]));
  } else journal.upsertAll(rowKeys, rows);
  return { fenced: [...fenced] };
}
