import { encodeMeta, type AttemptMeta, type RowMeta } from '../../domain/journal-meta.js';
import { deserializeError, serializeError, type SerializedError } from '../../errors.js';
import type { JournalEntry, JournalKind, JournalStatus } from '../../store/types.js';
import { decodeRow, reviveDates } from '../payload.js';
import type { StepControl } from './context.js';
import type { Exec } from './exec.js';
import type { Outcome, Value } from './outcome.js';
import type { Scope } from './scope.js';

/**
 * The one owner of the journal row's shape: every row the interpreter writes is built by `journalRow`,
 * every recorded result is replayed by `replayRecorded`, and a step's success or failure is recorded
 * (with its events) by `recordSuccess` / `recordFailure`.
 */

export interface RowFields {
  path: string;
  kind: JournalKind;
  status: JournalStatus;
  /** 1-based count of attempts made so far. */
  attempt: number;
  input?: string | null;
  output?: string | null;
  error?: string | null;
  meta?: RowMeta | null;
  startedAt: number;
  endedAt: number | null;
}

export function journalRow(runId: string, f: RowFields): JournalEntry {
  return {
    runId,
    path: f.path,
    kind: f.kind,
    status: f.status,
    attempt: f.attempt,
    input: f.input ?? null,
    output: f.output ?? null,
    error: f.error ?? null,
    meta: encodeMeta(f.meta),
    startedAt: f.startedAt,
    endedAt: f.endedAt,
  };
}

/** The kind of row a node writes in this scope: foreach items fold into their foreach step. */
export function rowKindOf(scope: Scope): JournalKind {
  return scope.rowKind === 'item' ? 'item' : 'step';
}

/** The decoded output of a recorded row, with its JSON text (so it is never encoded again). */
export function recordedValue(entry: JournalEntry): Value {
  const v = decodeRow(entry.output, entry.runId, entry.path, 'output');
  // Tagged Dates come back as Dates, as the first execution passed them on (Exec.encodeValue).
  return { v: entry.output?.includes('"__weft_date"') ? reviveDates(v) : v, json: entry.output };
}

/**
 * Replays a row recorded earlier: a success gives its output (and re-applies its state patch), a
 * suspension or failure gives that outcome. Null means the node must (still) execute.
 */
export function replayRecorded(exec: Exec, entry: JournalEntry | undefined, scope: Scope, id: string): Outcome | null {
  if (!entry) return null;
  switch (entry.status) {
    case 'success': {
      exec.replayState(entry);
      const value = recordedValue(entry);
      scope.outputs.set(id, value.v);
      return { t: 'ok', value };
    }
    case 'suspended':
      return { t: 'suspended' };
    case 'failed':
      return { t: 'failed', error: decodeRow(entry.error, entry.runId, entry.path, 'error') as SerializedError };
    default:
      return null;
  }
}

/** Records a small decision (branch choice, loop condition) so a replay takes the same path. */
export async function decide<T>(exec: Exec, path: string, evaluate: () => Promise<T>): Promise<T> {
  const entry = exec.row(path);
  if (entry?.status === 'success') return recordedValue(entry).v as T;
  const startedAt = exec.now();
  const value = await evaluate();
  const output = exec.encodeRow(value, `decision at "${path}"`);
  await exec.record(journalRow(exec.runId, { path, kind: 'decision', status: 'success', attempt: 1, output, startedAt, endedAt: exec.now() }));
  return value;
}

/**
 * Whether step start/result events are emitted here. Foreach iterations are not (as in Mastra): the
 * foreach emits one start, a `workflow-step-progress` per item and one result for the whole array.
 */
export function stepEvents(exec: Exec, scope: Scope): boolean {
  return exec.hasListeners && scope.rowKind !== 'item';
}

/**
 * The meta a finished row keeps: its suspension and resume, the step's state patch, and the failed
 * attempts before this one (only when it was retried: a step settled by its first attempt adds nothing).
 */
export function carriedMeta(r: Recording, now: number): RowMeta | null {
  const { prior, control, failedAttempts } = r;
  const patch = control?.statePatch;
  const retried = failedAttempts !== undefined && failedAttempts.length > 0;
  if (!patch && !retried && (!prior || (prior.suspendPayload === undefined && prior.resumePayload === undefined))) return null;
  const meta: RowMeta = {};
  if (prior?.suspendPayload !== undefined) meta.suspendPayload = prior.suspendPayload;
  if (prior?.resumePayload !== undefined) meta.resumePayload = prior.resumePayload;
  if (prior?.suspendedAt !== undefined) meta.suspendedAt = prior.suspendedAt;
  if (prior?.resumePayload !== undefined) meta.resumedAt = now;
  if (patch) meta.statePatch = patch;
  if (retried) meta.attempts = failedAttempts;
  return meta;
}

/** Where and what a step (or nested workflow) recording is about. */
export interface Recording {
  exec: Exec;
  scope: Scope;
  path: string;
  /** The id it shows under (step id or nested workflow id). */
  id: string;
  input: Value;
  startedAt: number;
  /** Attempts made, this one included. */
  attempts: number;
  control?: StepControl | null;
  prior?: RowMeta;
  /** The failed attempts of this execution that were retried, oldest first. */
  failedAttempts?: AttemptMeta[];
}

function inputText(r: Recording): string | null {
  if (r.input.json === undefined) r.input.json = r.exec.encodeRow(r.input.v, `input of step "${r.id}"`);
  return r.input.json;
}

/**
 * Records success. The output is encoded here, once; a value JSON cannot carry fails the step alone
 * (not retried). The value passed on is what a replay would decode (see Exec.encodeValue).
 */
export async function recordSuccess(r: Recording, value: Value): Promise<Outcome> {
  const { exec, scope } = r;
  let input: string | null;
  try {
    if (value.json === undefined) exec.encodeValue(value, `output of step "${r.id}"`);
    input = inputText(r);
  } catch (err) {
    return recordFailure(r, err);
  }
  const endedAt = exec.now();
  const meta = carriedMeta(r, endedAt);
  const row = journalRow(exec.runId, { path: r.path, kind: scope.rowKind, status: 'success', attempt: r.attempts, input, output: value.json, meta, startedAt: r.startedAt, endedAt });
  await exec.record(row, { input: r.input.v, output: value.v });
  scope.outputs.set(r.id, value.v);
  if (stepEvents(exec, scope)) {
    exec.emit('workflow-step-result', { id: scope.idPrefix + r.id, status: 'success', output: value.v, payload: r.input.v, startedAt: r.startedAt, endedAt });
  }
  return { t: 'ok', value };
}

/** Records a failure (the step's own error, or a value it returned that cannot be stored). */
export async function recordFailure(r: Recording, thrown: unknown): Promise<Outcome> {
  const { exec, scope } = r;
  const error = serializeError(thrown);
  let input: string | null = null;
  try {
    input = inputText(r);
  } catch {
    input = null;
  }
  const endedAt = exec.now();
  const meta = carriedMeta(r, endedAt);
  await exec.record(journalRow(exec.runId, { path: r.path, kind: scope.rowKind, status: 'failed', attempt: r.attempts, input, error: JSON.stringify(error), meta, startedAt: r.startedAt, endedAt }));
  if (stepEvents(exec, scope)) exec.emit('workflow-step-result', { id: scope.idPrefix + r.id, status: 'failed', error: deserializeError(error), payload: r.input.v, startedAt: r.startedAt, endedAt });
  return { t: 'failed', error };
}
