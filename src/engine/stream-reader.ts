import type { StepResult } from '../define/run-types.js';
import { decodeMeta } from '../domain/journal-meta.js';
import { isSettled, isTerminal } from '../domain/run-status.js';
import { finishPayload, type WorkflowEvent } from '../domain/workflow-events.js';
import { InvalidArgumentError } from '../errors.js';
import { STREAM_RESET, type JournalEntry, type RunRecord, type Store, type StreamRow } from '../store/types.js';
import { buildResult, buildSteps } from './results.js';

/**
 * A run's durable stream (docs/durability.md, "Run streams"), read from the store: the events of its
 * journal rows and the output chunks of its steps, merged in stream-position order. Every event has an
 * id `<position>:<k>` (k orders the events one position carries), stable across processes and
 * restarts, so a reader continues after any id with no gap and no duplicate.
 */

/** One event of a run's stream and its id (what SSE sends as `id:` and takes back as Last-Event-ID). */
export interface RunStreamEvent {
  id: string;
  event: WorkflowEvent;
  /** For an output chunk or data-* event: the step (its event id) whose call wrote it. */
  step?: string;
}

export interface RunStreamPage {
  events: RunStreamEvent[];
  /** The run's latest state is settled (ended or suspended) and every event up to it is in `events` or before `after`. */
  settled: boolean;
  /** More events were already stored than one page holds: read again from the last id. */
  more: boolean;
  /** The run no longer exists (deleted or pruned). */
  gone: boolean;
}

interface Cursor {
  pos: number;
  k: number;
}

/** k of the events at one position: a chunk row is alone at its position; a journal row has two. */
const K_ROW_START = 1;
const K_ROW_OUTCOME = 2;
const K_SUSPENDED_FINISH = 7;
const K_CANCELED = 8;
const K_FINISH = 9;

const START: Cursor = { pos: 0, k: -1 };

/** Chunk rows read per page, and pages read per call before answering with `more`. */
const PAGE = 1000;
const PAGES = 4;

/**
 * The cursor after `id`: absent means from the start; an id of the in-memory feeds of weft before run
 * streams (`<8 hex>.<n>`) also reads from the start (those ids named no durable position). Anything
 * else is refused.
 */
export function parseStreamId(id: string | undefined | null): Cursor {
  if (id === undefined || id === null || id === '') return START;
  const m = /^(\d{1,16}):(\d{1,9})$/.exec(id);
  if (m) return { pos: Number(m[1]), k: Number(m[2]) };
  if (/^[0-9a-f]{8}\.\d{1,16}$/.test(id)) return START;
  throw new InvalidArgumentError(`"${id.slice(0, 64)}" is not an event id of this run's stream (expected <position>:<n>)`);
}

function idOf(c: Cursor): string {
  return `${c.pos}:${c.k}`;
}

function after(a: Cursor, b: Cursor): boolean {
  return a.pos > b.pos || (a.pos === b.pos && a.k > b.k);
}

function ev(runId: string, type: WorkflowEvent['type'], payload: Record<string, unknown>): WorkflowEvent {
  return { type, runId, from: 'WORKFLOW', payload };
}

function outcomeEvent(runId: string, id: string, s: StepResult<unknown>): WorkflowEvent | null {
  const base = { id, payload: s.payload, startedAt: s.startedAt };
  switch (s.status) {
    case 'success':
      return ev(runId, 'workflow-step-result', { ...base, status: 'success', output: s.output, endedAt: s.endedAt });
    case 'failed':
      return ev(runId, 'workflow-step-result', { ...base, status: 'failed', error: s.error, endedAt: s.endedAt });
    case 'suspended':
      return ev(runId, 'workflow-step-suspended', { ...base, status: 'suspended', suspendPayload: s.suspendPayload });
    case 'waiting':
      return ev(runId, 'workflow-step-waiting', { ...base, status: 'waiting' });
    default:
      return null;
  }
}

type Positioned = { at: Cursor; event: WorkflowEvent; step?: string };

/** The k offset of the i-th journal row when rows have no stream position (stored before it existed). */
function legacyK(i: number): number {
  return 10 + 2 * i;
}

/** The events of the journal's step rows, at their rows' positions. */
function rowEvents(run: RunRecord, journal: JournalEntry[]): Positioned[] {
  const out: Positioned[] = [];
  const byPath = new Map(journal.map((r, i) => [r.path, { r, i }]));
  const built = buildSteps(journal, { errors: 'instances', runId: run.runId });
  for (const [key, path] of built.source) {
    const s = built.steps[key]!;
    const found = byPath.get(path);
    // A nested workflow shown suspended has no row of its own: its suspended step's row places it.
    const row = found?.r ?? journal.filter((r) => r.path.startsWith(`${path}/`)).sort((a, b) => (b.pos ?? 0) - (a.pos ?? 0))[0];
    if (!row) continue;
    const pos = row.pos ?? 0;
    // Rows written before stream positions (0) keep their journal order within position 0, after
    // workflow-start (k 0) and before a finish placed at position 0 (see legacyTail).
    const legacy = pos === 0 ? legacyK(found?.i ?? 0) : 0;
    const streamed = row.meta !== null && decodeMeta(row.meta).streamed === true;
    if (!streamed) {
      const start: Record<string, unknown> = { id: key, payload: s.payload, startedAt: s.startedAt, status: 'running' };
      out.push({ at: { pos: row.firstPos || pos, k: K_ROW_START + legacy }, event: ev(run.runId, 'workflow-step-start', start) });
    }
    const outcome = outcomeEvent(run.runId, key, s);
    if (outcome) out.push({ at: { pos, k: K_ROW_OUTCOME + legacy }, event: outcome });
  }
  return out;
}

/** The event of a stream row for a reader at `from`, or null (a reset of chunks the reader never got). */
function chunkEvent(runId: string, row: StreamRow, from: Cursor): WorkflowEvent | null {
  const payload = JSON.parse(row.payload) as Record<string, unknown>;
  if (row.type !== STREAM_RESET) {
    if (row.type.startsWith('data-')) return { type: row.type as `data-${string}`, runId, from: 'WORKFLOW', payload };
    return ev(runId, row.type as WorkflowEvent['type'], payload);
  }
  // Chunks deleted before this reader reached them were never seen: nothing to take back.
  const seen = (payload.voided as number[]).filter((p) => p <= from.pos).map((p) => idOf({ pos: p, k: 0 }));
  if (seen.length === 0) return null;
  return ev(runId, 'workflow-step-output-reset', { id: row.step, path: row.path, attempt: row.attempt, voided: seen });
}

/**
 * The run's stream events after `afterId` (see parseStreamId), oldest first. Reads the run, then its
 * journal, then its chunks: a run's positions grow with its commits, so every chunk placed before a
 * row this read saw had committed before the journal was read, and the merge has no gap.
 */
export async function readRunStream(store: Store, runId: string, afterId?: string | null): Promise<RunStreamPage> {
  const from = parseStreamId(afterId);
  const run = await store.loadRun(runId);
  if (!run) return { events: [], settled: true, more: false, gone: true };
  const journal = await store.loadJournal(runId);
  const rows: StreamRow[] = [];
  let more = false;
  for (let page = 0; ; page++) {
    // A chunk is alone at its position (k 0): the ones after the cursor are those past its position.
    const got = await store.readStream(runId, rows.length ? rows[rows.length - 1]!.pos : from.pos, PAGE);
    rows.push(...got);
    if (got.length < PAGE) break;
    if (page + 1 >= PAGES) {
      more = true;
      break;
    }
  }
  const all: Positioned[] = [];
  if (run.status !== 'pending' || journal.length > 0 || rows.length > 0) all.push({ at: { pos: 0, k: 0 }, event: ev(runId, 'workflow-start', { runId }) });
  let horizon = 0;
  for (const r of journal) horizon = Math.max(horizon, r.pos ?? 0);
  all.push(...rowEvents(run, journal));
  for (const row of rows) {
    horizon = Math.max(horizon, row.pos);
    const e = chunkEvent(runId, row, from);
    if (e) all.push({ at: { pos: row.pos, k: 0 }, event: e, ...(row.type === STREAM_RESET ? {} : { step: row.step }) });
  }
  // With a page cut short, events past the last chunk read wait for the next call (their order with
  // the chunks not read yet is not known here).
  const limit = more ? rows[rows.length - 1]!.pos : Infinity;
  const settled = !more && isSettled(run.status);
  // A run whose rows all predate stream positions ends after them, still at position 0.
  const tail = horizon === 0 ? legacyK(journal.length) : 0;
  if (settled) {
    if (!isTerminal(run.status)) {
      // Suspended or paused: a finish that a resume supersedes, so it sorts before a terminal one.
      all.push({ at: { pos: horizon, k: tail + K_SUSPENDED_FINISH }, event: ev(runId, 'workflow-finish', finishPayload(run.status)) });
    } else {
      const result = buildResult(run, journal, false);
      if (run.status === 'canceled') all.push({ at: { pos: horizon, k: tail + K_CANCELED }, event: ev(runId, 'workflow-canceled', {}) });
      const r = result as { result?: unknown; error?: Error };
      const payload = finishPayload(run.status, { error: run.status === 'failed' ? r.error : undefined, hasResult: run.status === 'success', result: r.result });
      if (run.status === 'success') payload.result = r.result;
      all.push({ at: { pos: horizon, k: tail + K_FINISH }, event: ev(runId, 'workflow-finish', payload) });
    }
  }
  const events = all
    .filter((p) => after(p.at, from) && p.at.pos <= limit)
    .sort((a, b) => a.at.pos - b.at.pos || a.at.k - b.at.k)
    .map((p) => (p.step === undefined ? { id: idOf(p.at), event: p.event } : { id: idOf(p.at), event: p.event, step: p.step }));
  return { events, settled, more, gone: false };
}
