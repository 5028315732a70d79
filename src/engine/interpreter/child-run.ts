import { createHash } from 'node:crypto';
import { ChildRunCanceledError, ChildRunFailedError, ChildRunNotFoundError, deserializeError, InvalidArgumentError, serializeError, type SerializedError } from '../../errors.js';
import type { JournalEntry, RunRecord } from '../../store/types.js';
import { checkId, checkRunId } from '../../domain/ids.js';
import { reviveDates } from '../payload.js';
import type { ChildCalls, Exec } from './exec.js';
import { journalRow, recordedValue } from './journal-row.js';

/** Options of ctx.startWorkflow. */
export interface StartChildOptions {
  /** The child's run id (default: derived from the parent run, the step's path and the call's index). */
  runId?: string;
  /** The child's resource id (default: the parent's). */
  resourceId?: string;
}

/**
 * Thrown inside the step when its child has not settled: the step stops there and the run parks
 * (`waiting`, no timer) until the child's outcome wakes it. The step runner parks on the step's control
 * flag, so a step that catches this still parks.
 */
export class ChildWaitSignal extends Error {
  constructor(readonly childRunId: string) {
    super(`waiting for child run "${childRunId}"`);
    this.name = 'ChildWaitSignal';
  }
}

/** Values of rows recorded by this execution (their text may reference blobs not read back here). */
const recorded = new WeakMap<JournalEntry, unknown>();

/** The journal path of a step's n-th startWorkflow call: beside the step's own row, never inside it. */
export function childCallPath(stepPath: string, index: number): string {
  return `${stepPath}@child${index}`;
}

/** The step path of a call's row path (`<step>@child<n>` -> `<step>`). */
export function stepOfCall(callPath: string): string {
  const at = callPath.lastIndexOf('@child');
  return at < 0 ? callPath : callPath.slice(0, at);
}

/** The child's id when the step gives none: the same for every attempt and replay of that call. */
export function childRunId(parentRunId: string, callPath: string): string {
  const digest = createHash('sha256').update(`${parentRunId}\n${callPath}`).digest('hex');
  return `child-${digest.slice(0, 32)}`;
}

/**
 * ctx.startWorkflow: starts (or, replayed, finds) the child run of this call and returns its result.
 * The call's row (`<step>@child<n>`, a decision row) records which child it started; while the child
 * runs it is 'waiting' and the parent is parked; the child's outcome marks it 'resumed' and wakes the
 * parent, whose step runs again and finds the outcome here, recorded once in the row. Calls are numbered
 * per attempt in call order, so a step re-run after the wait reaches the same children.
 */
export async function startWorkflow(exec: Exec, control: ChildCalls, stepPath: string | undefined, workflow: unknown, input: unknown, opts: unknown): Promise<unknown> {
  if (stepPath === undefined) throw new InvalidArgumentError('startWorkflow can only be called from a step (not from a condition or a .map function)');
  // Numbered before any await, so concurrent calls (Promise.all) get the same numbers on every attempt.
  const index = (control.childCalls = (control.childCalls ?? 0) + 1) - 1;
  const o = checkOptions(opts);
  const path = childCallPath(stepPath, index);
  const row = exec.row(path);
  if (row?.status === 'success') return recorded.has(row) ? recorded.get(row) : recordedValue(row).v;
  if (row?.status === 'failed') throw rebuilt(row);
  let child = row ? exec.metaOf(row).child : undefined;
  const startedAt = row?.startedAt ?? exec.now();
  if (!child) {
    // A canceled run starts nothing more (its cancel has already looked for children to cancel).
    if (exec.aborted) throw exec.reason ?? new Error('the run was aborted');
    const started = await exec.startChild({
      parentPath: path,
      workflow,
      childRunId: o.runId ?? childRunId(exec.runId, path),
      ...(o.runId === undefined ? { derived: true } : {}),
      input,
      resourceId: o.resourceId ?? exec.resourceId,
    });
    child = { runId: started.runId, workflowId: started.workflowId };
  }
  const entry = journalRow(exec.runId, { path, kind: 'decision', status: 'waiting', attempt: 1, meta: { child }, startedAt, endedAt: null });
  const res = await exec.waitForChild(entry, child.runId);
  if (res.waiting) {
    control.waitingForChild = true;
    throw new ChildWaitSignal(child.runId);
  }
  return takeOutcome(exec, entry, child, res.child);
}

/** Records the settled child's outcome in the call's row (once), then returns its result or throws. */
async function takeOutcome(exec: Exec, entry: JournalEntry, child: { runId: string; workflowId: string }, run: RunRecord | null): Promise<unknown> {
  const endedAt = exec.now();
  if (run?.status === 'success') {
    const value = run.result === null ? undefined : reviveDates(JSON.parse(run.result));
    const done: JournalEntry = { ...entry, status: 'success', output: exec.encodeRow(value, `result of child run "${child.runId}"`), endedAt };
    recorded.set(done, value);
    await exec.record(done, { input: undefined, output: value });
    return value;
  }
  let error: Error;
  if (!run) error = new ChildRunNotFoundError(child.runId, child.workflowId);
  else if (run.status === 'canceled') error = new ChildRunCanceledError(child.runId, child.workflowId);
  else error = new ChildRunFailedError(child.runId, child.workflowId, run.error === null ? new Error('the child run failed') : deserializeError(JSON.parse(run.error) as SerializedError));
  const failed: JournalEntry = { ...entry, status: 'failed', error: JSON.stringify(serializeError(error)), endedAt };
  recorded.set(failed, error);
  await exec.record(failed);
  throw error;
}

/** A recorded child failure, as the error the call threw the first time. */
function rebuilt(row: JournalEntry): Error {
  if (recorded.has(row)) return recorded.get(row) as Error;
  return deserializeError(JSON.parse(row.error ?? '{}') as SerializedError);
}

function checkOptions(opts: unknown): StartChildOptions {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new InvalidArgumentError('startWorkflow options must be an object');
  const o = opts as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'runId' && k !== 'resourceId') throw new InvalidArgumentError(`startWorkflow: unknown option "${k}"`);
  if (o.runId !== undefined) checkRunId(o.runId);
  if (o.resourceId !== undefined) checkId(o.resourceId, 'resourceId');
  return o as StartChildOptions;
}
