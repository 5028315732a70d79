import type { RunSnapshot, RunViewField } from '../define/run-snapshot.js';
import type { ResultQueryOptions, RunView, StepResult } from '../define/run-types.js';
import type { AnyWorkflow } from '../define/workflow.js';
import type { RunStatus } from '../domain/run-status.js';
import type { SerializedError } from '../errors.js';
import type { JournalEntry, RunPatch, RunRecord } from '../store/types.js';
import { decodeForView } from './payload.js';
import { buildSteps } from './results.js';

/**
 * Mastra's read shapes on top of weft's read model: the `snapshot` of listings, the
 * `shouldPersistSnapshot` record, and getWorkflowRunById's `fields` / `withNestedWorkflows`.
 */

/**
 * The journal path of the snapshot a workflow with `shouldPersistSnapshot` keeps: the state at the last
 * outcome its predicate accepted. Paths starting with "@" are the engine's own records (step ids cannot
 * start with "@"), never looked up by the walker and never shown as steps.
 */
export const SNAPSHOT_PATH = '@snapshot';

/** What an execution offers to the snapshot predicate when it writes an outcome. */
export interface OutcomeRows {
  readonly runId: string;
  rows(): Iterable<JournalEntry>;
  readonly decoded: ReadonlyMap<string, { input: unknown; output: unknown }>;
  now(): number;
}

/**
 * The row that records this outcome as the run's snapshot, when the workflow's shouldPersistSnapshot
 * accepts it (null otherwise, and always for workflows without the option). Written in the same batch
 * as the outcome, so both commit or neither. Values are spliced in as the JSON text the patch already
 * holds: nothing is encoded twice.
 */
export function snapshotRow(wf: AnyWorkflow, exec: OutcomeRows, patch: RunPatch): JournalEntry | null {
  const accept = wf.lifecycle.shouldPersistSnapshot;
  if (!accept || patch.status === undefined) return null;
  const stepResults = buildSteps(exec.rows(), { errors: 'instances', decoded: exec.decoded, runId: exec.runId }).steps as Record<string, StepResult>;
  if (!accept({ stepResults, workflowStatus: patch.status })) return null;
  const now = exec.now();
  const parts = [`"status":${JSON.stringify(patch.status)}`, `"timestamp":${now}`];
  if (patch.result != null) parts.push(`"result":${patch.result}`);
  if (patch.error != null) parts.push(`"error":${patch.error}`);
  if (patch.state != null) parts.push(`"value":${patch.state}`);
  return {
    runId: exec.runId,
    path: SNAPSHOT_PATH,
    kind: 'decision',
    status: 'success',
    attempt: 1,
    input: null,
    output: `{${parts.join(',')}}`,
    error: null,
    meta: null,
    startedAt: now,
    endedAt: now,
  };
}

interface RecordedSnapshot {
  status: RunStatus;
  timestamp: number;
  result?: unknown;
  error?: SerializedError;
  value?: Record<string, unknown>;
}

/**
 * A listing's `snapshot` of a run: its recorded snapshot when the workflow has shouldPersistSnapshot and
 * one was accepted, otherwise the run as it is now.
 */
export function snapshotOf(run: RunRecord, journal: readonly JournalEntry[] | null): RunSnapshot {
  const recorded = journal?.find((e) => e.path === SNAPSHOT_PATH);
  const saved = recorded ? (decodeForView(recorded.output) as RecordedSnapshot | undefined) : undefined;
  const snap: RunSnapshot = {
    runId: run.runId,
    status: saved?.status ?? run.status,
    value: saved ? (saved.value ?? {}) : ((decodeForView(run.state) as Record<string, unknown> | undefined) ?? {}),
    context: { input: decodeForView(run.input) },
    requestContext: (decodeForView(run.requestContext) as Record<string, unknown> | undefined) ?? {},
    timestamp: saved?.timestamp ?? run.updatedAt,
  };
  const result = saved ? saved.result : run.result !== null ? decodeForView(run.result) : undefined;
  const error = saved ? saved.error : run.error !== null ? (decodeForView(run.error) as SerializedError) : undefined;
  if (result !== undefined) snap.result = result;
  if (error !== undefined) snap.error = error;
  return snap;
}

/** Steps without those of nested workflows (`child.step`); the nested workflow's own entry stays. */
export function topLevelSteps(steps: Record<string, StepResult>): Record<string, StepResult> {
  const out: Record<string, StepResult> = {};
  for (const [key, r] of Object.entries(steps)) if (!key.includes('.')) out[key] = r;
  return out;
}

/** Fields every view keeps whatever `fields` asks for (Mastra: metadata and status). */
const ALWAYS = new Set(['runId', 'workflowName', 'resourceId', 'createdAt', 'updatedAt', 'status', 'statusReason', 'waitingFor']);

/** Whether a view with these options needs the run's journal (its steps). */
export function viewNeedsSteps(opts: ResultQueryOptions): boolean {
  return !opts.fields?.length || opts.fields.includes('steps');
}

/** getWorkflowRunById's options applied to a full view. */
export function shapeView(view: RunView, opts: ResultQueryOptions): Partial<RunView> & Pick<RunView, 'runId' | 'status'> {
  if (opts.withNestedWorkflows === false) view.steps = topLevelSteps(view.steps);
  const fields = opts.fields;
  if (!fields?.length) return view;
  const wanted = new Set<string>(fields satisfies RunViewField[]);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(view)) if (ALWAYS.has(key) || wanted.has(key)) out[key] = value;
  return out as Partial<RunView> & Pick<RunView, 'runId' | 'status'>;
}
