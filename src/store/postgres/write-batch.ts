import { isStreamOp, runIdOf, type JournalEntry, type RunPatch, type StreamOp, type WriteOp, type WriteOutcome } from '../types.js';
import { applyStreamOp, streamSql } from './stream-queries.js';
import { query, type Queryable } from './connection.js';

/**
 * The group-commit write: every run patch and journal row of a batch in one statement (one round trip,
 * atomic without BEGIN/COMMIT).
 *
 * `locked` takes a row lock on each run the batch touches, in id order, and reads its lease epoch from
 * the locked (newest) row version. Patches and journal rows are applied only where their epoch equals
 * that one (fencing): once a run's row is locked here, a concurrent claim, cancel or resume (which bump
 * the epoch) waits for this statement, or has already committed and this batch sees the new epoch. A
 * zombie write can therefore never land after a new owner has loaded the journal.
 *
 * With `skipLocked` (writeSettled) a run whose row another transaction holds is skipped instead of
 * waited for: its ops are not applied and it is reported as deferred. One session holding a run's row
 * (an operator's SELECT ... FOR UPDATE, a long transaction) then delays that run alone instead of every
 * write of the process. Without it (write), the statement waits, up to the session's lock_timeout.
 *
 * The runs are looked up by `id = ANY($1)` on the primary key (estimated exactly, so the plan stays an
 * index lookup whatever the table's statistics) and the statement is sent unnamed, so it is planned for
 * the tables as they are now (a plan cached while the table was young seq-scanned runs on every batch).
 */
export function writeSql(schema: string, skipLocked: boolean, withBlobs = false): string {
  const runs = `"${schema}".runs`;
  return `WITH locked AS MATERIALIZED (
      SELECT id, lease_epoch FROM ${runs} WHERE id = ANY($1::text[])
      ORDER BY id COLLATE "C" FOR NO KEY UPDATE${skipLocked ? ' SKIP LOCKED' : ''}
    ),
    u AS (
      SELECT * FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bool[], $6::text[], $7::bool[],
          $8::text[], $9::bool[], $10::text[], $11::bool[], $12::text[], $13::bool[], $14::bigint[], $15::bool[],
          $16::text[], $17::bool[], $18::text[], $19::bool[])
        AS u(run_id, epoch, now, has_status, status, has_state, state, has_result, result, has_error, error,
          has_wake_at, wake_at, has_status_reason, status_reason, has_request_context, request_context, release)
    ),
    patched AS (
      UPDATE ${runs} r SET
        status = CASE WHEN u.has_status THEN u.status ELSE r.status END,
        state = CASE WHEN u.has_state THEN u.state ELSE r.state END,
        result = CASE WHEN u.has_result THEN u.result ELSE r.result END,
        error = CASE WHEN u.has_error THEN u.error ELSE r.error END,
        wake_at = CASE WHEN u.has_wake_at THEN u.wake_at ELSE r.wake_at END,
        status_reason = CASE WHEN u.has_status_reason THEN u.status_reason ELSE r.status_reason END,
        request_context = CASE WHEN u.has_request_context THEN u.request_context ELSE r.request_context END,
        owner = CASE WHEN u.release THEN NULL ELSE r.owner END,
        lease_expires_at = CASE WHEN u.release THEN NULL ELSE r.lease_expires_at END,
        updated_at = u.now
      FROM u JOIN locked l ON l.id = u.run_id AND l.lease_epoch = u.epoch
      WHERE r.id = ANY($1::text[]) AND r.id = l.id
      RETURNING r.id
    ),
    ${journalCtes(schema, 20)}
    )${withBlobs ? blobsCte(schema) : ''}
    SELECT id, lease_epoch AS epoch FROM locked`;
}

/**
 * The upsert keeps a row's stream positions where the write is no new event (store/shared/stream-rules.ts,
 * rowPositions): `j` is the row as it was before the update.
 */
export const JOURNAL_UPSERT = `ON CONFLICT (run_id, path) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status,
        attempt = EXCLUDED.attempt, input = EXCLUDED.input, output = EXCLUDED.output, error = EXCLUDED.error,
        meta = EXCLUDED.meta, started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at,
        pos = CASE WHEN j.started_at = EXCLUDED.started_at AND j.status = EXCLUDED.status THEN j.pos ELSE EXCLUDED.pos END,
        first_pos = CASE WHEN j.started_at = EXCLUDED.started_at THEN j.first_pos ELSE EXCLUDED.first_pos END`;

/** A row's new stream position (used as both pos and first_pos of an inserted row). */
export const nextPos = (schema: string) => `nextval('"${schema}".stream_pos')`;

/**
 * The journal part of a batch statement: the rows as arrays from parameter $`first` on (run id, path,
 * kind, status, attempt, input, output, error, meta, started_at, ended_at, epoch), upserted in their order
 * where their run's epoch matches the `locked` CTE.
 */
function journalCtes(schema: string, first: number): string {
  const p = (i: number, type: string) => `$${first + i}::${type}[]`;
  return `input AS (
      SELECT * FROM unnest(${p(0, 'text')}, ${p(1, 'text')}, ${p(2, 'text')}, ${p(3, 'text')}, ${p(4, 'int')}, ${p(5, 'text')},
          ${p(6, 'text')}, ${p(7, 'text')}, ${p(8, 'text')}, ${p(9, 'bigint')}, ${p(10, 'bigint')}, ${p(11, 'bigint')})
        WITH ORDINALITY AS t(run_id, path, kind, status, attempt, input, output, error, meta, started_at, ended_at,
          epoch, ord)
    ),
    ins AS (
      INSERT INTO "${schema}".journal AS j (run_id, path, kind, status, attempt, input, output, error, meta,
          started_at, ended_at, pos, first_pos)
      SELECT x.*, x.pos FROM (
        SELECT i.run_id, i.path, i.kind, i.status, i.attempt, i.input, i.output, i.error, i.meta, i.started_at,
          i.ended_at, ${nextPos(schema)} AS pos
        FROM input i JOIN locked l ON l.id = i.run_id AND l.lease_epoch = i.epoch
        ORDER BY i.ord
      ) x
      ${JOURNAL_UPSERT}
      RETURNING 1
`;
}

/**
 * writeSql for a batch of journal rows only (most batches: a step's result is one journal row, the run
 * row is written when the run settles). Without the UPDATE of runs, the statement-level run-count
 * trigger (which fires for an UPDATE even when it changes no row) is not run at all.
 * Parameters: $1 run ids, $2-$13 the journal columns as in writeSql's $20-$31.
 */
export function journalOnlySql(schema: string, skipLocked: boolean): string {
  return `WITH locked AS MATERIALIZED (
      SELECT id, lease_epoch FROM "${schema}".runs WHERE id = ANY($1::text[])
      ORDER BY id COLLATE "C" FOR NO KEY UPDATE${skipLocked ? ' SKIP LOCKED' : ''}
    ),
    ${journalCtes(schema, 2)}
    )
    SELECT id, lease_epoch AS epoch FROM locked`;
}

/**
 * The blobs the batch's rows reference (domain/value-codec.ts), inserted in the same statement where
 * their run's epoch matches; one already stored is kept. Only in batches that carry blobs, so the
 * statement of every other batch is unchanged.
 */
function blobsCte(schema: string): string {
  return `,
    blob_input AS (
      SELECT * FROM unnest($32::text[], $33::text[], $34::text[], $35::bigint[]) AS b(run_id, hash, data, epoch)
    ),
    blob_ins AS (
      INSERT INTO "${schema}".blobs (run_id, hash, data)
      SELECT b.run_id, b.hash, b.data FROM blob_input b JOIN locked l ON l.id = b.run_id AND l.lease_epoch = b.epoch
      ON CONFLICT DO NOTHING
      RETURNING 1
    )`;
}

/** Epochs of runs read without a lock (a committed snapshot): tells a locked run from a fenced one. */
export function epochsSql(schema: string): string {
  return `SELECT id, lease_epoch AS epoch FROM "${schema}".runs WHERE id = ANY($1::text[])`;
}

export type PatchOp = Extract<WriteOp, { type: 'run' }>;

/**
 * Patches merged per (run, epoch), in order: an UPDATE ... FROM changes each row at most once, so several
 * patches of one run in a batch become one.
 */
export function mergePatches(ops: PatchOp[]): PatchOp[] {
  const merged = new Map<string, PatchOp>();
  for (const op of ops) {
    const key = `${op.epoch}\u0000${op.runId}`;
    const prev = merged.get(key);
    if (!prev) merged.set(key, { ...op, patch: { ...op.patch } });
    else {
      const release = Boolean(prev.patch.release || op.patch.release);
      merged.set(key, { ...prev, patch: { ...prev.patch, ...definedOnly(op.patch), release }, now: op.now });
    }
  }
  return [...merged.values()];
}

/** One merged patch as writeSql's patch columns (run id, epoch, now, then has/value pairs, release). */
export function patchValues({ runId, epoch, patch: p, now }: PatchOp): unknown[] {
  return [
    runId,
    epoch,
    Math.round(now),
    p.status !== undefined,
    p.status ?? null,
    p.state !== undefined,
    p.state ?? null,
    p.result !== undefined,
    p.result ?? null,
    p.error !== undefined,
    p.error ?? null,
    p.wakeAt !== undefined,
    // BIGINT: a fractional wake time (a sleep of 1.5 ms) is rounded up, never early.
    p.wakeAt == null ? null : Math.ceil(p.wakeAt),
    p.statusReason !== undefined,
    p.statusReason ?? null,
    p.requestContext !== undefined,
    p.requestContext ?? null,
    Boolean(p.release),
  ];
}

/** Patch columns for the batch (see mergePatches). */
function patchColumns(ops: PatchOp[]): unknown[][] {
  const cols: unknown[][] = Array.from({ length: 18 }, () => []);
  for (const op of mergePatches(ops)) patchValues(op).forEach((v, i) => cols[i]!.push(v));
  return cols;
}

function definedOnly(p: RunPatch): RunPatch {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (v !== undefined) out[k] = v;
  return out as RunPatch;
}

/**
 * Journal columns. Repeated (run, path, epoch) keys are folded into one row first (an upsert cannot touch
 * a row twice in one statement): the last values win and the first occurrence keeps its place.
 */
export function journalColumns(ops: { epoch: number; entry: JournalEntry }[]): unknown[][] {
  const cols: unknown[][] = Array.from({ length: 12 }, () => []);
  const index = new Map<string, number>();
  for (const { epoch, entry: e } of ops) {
    const key = `${epoch}\u0000${e.runId}\u0000${e.path}`;
    const values = [e.runId, ...journalRowValues(e), epoch];
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, cols[0]!.length);
      values.forEach((v, i) => cols[i]!.push(v));
    } else values.forEach((v, i) => (cols[i]![at] = v));
  }
  return cols;
}

/** A journal row's values from its path to its end time (journalColumns' order between run id and epoch). */
export function journalRowValues(e: JournalEntry): unknown[] {
  return [
    e.path,
    e.kind,
    e.status,
    e.attempt,
    e.input ?? null,
    e.output ?? null,
    e.error ?? null,
    e.meta ?? null,
    Math.round(e.startedAt),
    e.endedAt == null ? null : Math.round(e.endedAt),
  ];
}

/** Blob columns (run, hash, data, epoch) of the rows that carry blobs, or null when none does. */
function blobColumns(ops: { epoch: number; entry: JournalEntry }[]): unknown[][] | null {
  let cols: unknown[][] | null = null;
  for (const { epoch, entry } of ops) {
    if (!entry.blobs) continue;
    cols ??= [[], [], [], []];
    for (const b of entry.blobs) {
      cols[0]!.push(entry.runId);
      cols[1]!.push(b.hash);
      cols[2]!.push(b.data);
      cols[3]!.push(epoch);
    }
  }
  return cols;
}

/** Applies a batch (see writeSql); with skipLocked, runs held by another transaction come back deferred. */
export async function applyWrite(db: Queryable, schema: string, ops: WriteOp[], skipLocked: boolean): Promise<WriteOutcome> {
  const patches: PatchOp[] = [];
  const journal: { epoch: number; entry: JournalEntry }[] = [];
  const stream: StreamOp[] = [];
  const epochs = new Map<string, Set<number>>();
  for (const op of ops) {
    if (op.type === 'journal') journal.push(op);
    else if (isStreamOp(op)) stream.push(op);
    else patches.push(op);
    const id = runIdOf(op);
    const set = epochs.get(id);
    if (set) set.add(op.epoch);
    else epochs.set(id, new Set([op.epoch]));
  }
  const ids = [...epochs.keys()];
  // Stream ops (only in batches with chunks; the caller runs those in a transaction) go first, in
  // their order, under the locks the batch statement then finds held: a step's result row takes a
  // later position than the chunks it wrote before returning.
  let held: Map<string, number> | undefined;
  if (stream.length > 0) {
    const sql = streamSql(schema);
    held = new Map((await query<{ id: string; epoch: number }>(db, sql.lock(skipLocked), [ids])).rows.map((r) => [r.id, r.epoch]));
    for (const op of stream) if (held.get(op.runId) === op.epoch && [...epochs.get(op.runId)!].every((e) => e === op.epoch)) await applyStreamOp(db, sql, op);
  }
  let locked: Map<string, number>;
  if (held && journal.length === 0 && patches.length === 0) locked = held;
  else {
    const blobs = blobColumns(journal);
    const res = await query<{ id: string; epoch: number }>(db, ...statementFor(schema, skipLocked, ids, patches, journal, blobs));
    locked = new Map(res.rows.map((r) => [r.id, r.epoch]));
  }
  const missing = ids.filter((id) => !locked.has(id));
  // Runs not locked: deleted (fenced) or, with skipLocked, held by another transaction. The committed
  // epoch tells which: if it still matches, the run is ours and only has to wait its turn.
  const current = new Map<string, number>();
  if (skipLocked && missing.length > 0) {
    for (const r of (await query<{ id: string; epoch: number }>(db, epochsSql(schema), [missing])).rows) current.set(r.id, r.epoch);
  }
  const fenced: string[] = [];
  const deferred: string[] = [];
  for (const [id, wanted] of epochs) {
    const epoch = locked.get(id) ?? current.get(id);
    const stale = epoch === undefined || [...wanted].some((e) => e !== epoch);
    if (stale) fenced.push(id);
    else if (!locked.has(id)) deferred.push(id);
  }
  return deferred.length ? { fenced, deferred } : { fenced };
}

/**
 * The statement for a batch of several runs (one run's ops take one-run-write.ts): rows with blobs take
 * writeSql with its blob insert, journal-only batches skip the run patch, and the rest take writeSql.
 */
function statementFor(
  schema: string,
  skipLocked: boolean,
  ids: string[],
  patches: PatchOp[],
  journal: { epoch: number; entry: JournalEntry }[],
  blobs: unknown[][] | null,
): [string, unknown[], string?] {
  // Rows that carry blobs (large values stored by content) take writeSql with its blob insert.
  if (blobs) return [writeSql(schema, skipLocked, true), [ids, ...patchColumns(patches), ...journalColumns(journal), ...blobs]];
  if (patches.length === 0) return [journalOnlySql(schema, skipLocked), [ids, ...journalColumns(journal)]];
  return [writeSql(schema, skipLocked, false), [ids, ...patchColumns(patches), ...journalColumns(journal)]];
}
