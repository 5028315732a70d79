import { versionOfFingerprint } from './fingerprint.js';
import type { AttemptInfo, StepResult, StepView, WorkflowResult, RunView, RunSummary, WaitInfo } from '../define/run-types.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { decodeMeta, type RowMeta } from '../domain/journal-meta.js';
import { INPUT_KEY } from '../domain/step-entries.js';
import { errorForResult, plainError, type SerializedError } from '../errors.js';
import type { JournalEntry, RunRecord } from '../store/types.js';
import { decodeForView, decodeViewKeepingDates, reviveDates } from './payload.js';

/** Decoded input/output by journal path, for rows the executor wrote itself (see RunExecution.decoded). */
type DecodedRows = ReadonlyMap<string, { input: unknown; output: unknown }>;

const STRUCTURAL = /^(parallel|branch|loop|foreach)#\d+(\[\d+\])?$/;

/**
 * The id a journal path shows under in `steps`: structural segments (parallel#2, loop#3[4], ...) are
 * dropped, nested workflow segments are joined with "." (Mastra's `child.step` keys).
 */
const keyCache = new Map<string, string>();

export function displayKey(path: string): string {
  let key = keyCache.get(path);
  if (key === undefined) {
    key = computeDisplayKey(path);
    // Paths come from workflow definitions, so they repeat across runs; the cap guards odd cases.
    if (keyCache.size > 50_000) keyCache.clear();
    keyCache.set(path, key);
  }
  return key;
}

function computeDisplayKey(path: string): string {
  const parts: string[] = [];
  for (const seg of path.split('/')) {
    if (STRUCTURAL.test(seg)) continue;
    const hash = seg.indexOf('#');
    parts.push(hash === -1 ? seg : seg.slice(0, hash));
  }
  return parts.join('.');
}

/** How errors appear: Error instances (results, as Mastra's WorkflowResult) or their stored shape (run views). */
type ErrorForm = 'instances' | 'stored';

interface StepsOptions {
  errors: ErrorForm;
  /** Decoded payloads of rows the executor wrote itself. */
  decoded?: DecodedRows;
  /** The run's id, which Mastra's nested suspend payloads carry in `__workflow_meta`. */
  runId: string;
}

function stepStatus(e: JournalEntry, meta: { skipped?: boolean }): StepResult['status'] {
  if (meta.skipped) return 'skipped';
  switch (e.status) {
    case 'success':
    case 'failed':
    case 'suspended':
    case 'waiting':
      return e.status;
    default:
      return 'running';
  }
}

function errorOf(text: string, form: ErrorForm): unknown {
  const stored = decodeForView(text);
  return form === 'instances' ? errorForResult(stored) : stored;
}

/**
 * Every attempt of a retried step: the failed ones from the row's meta, then the latest (the row
 * itself) once it has settled. A parked retry lists only the failed attempts (the next has not begun).
 */
function attemptHistory(e: JournalEntry, meta: RowMeta, form: ErrorForm): AttemptInfo<unknown>[] | undefined {
  if (!meta.attempts?.length) return undefined;
  const out: AttemptInfo<unknown>[] = meta.attempts.map((a) => ({
    attempt: a.attempt,
    startedAt: a.startedAt,
    endedAt: a.endedAt,
    error: form === 'instances' ? errorForResult(a.error) : a.error,
    retryDelayMs: a.retryDelayMs,
  }));
  if (e.status !== 'waiting') {
    const last: AttemptInfo<unknown> = { attempt: e.attempt, startedAt: e.startedAt };
    if (e.endedAt !== null) last.endedAt = e.endedAt;
    if (e.error !== null && e.status === 'failed') last.error = errorOf(e.error, form);
    out.push(last);
  }
  return out;
}

/** The journal path of the nested workflow (or foreach) each display-key prefix of `path` stands for. */
function ancestorPaths(path: string): { key: string; path: string }[] {
  const out: { key: string; path: string }[] = [];
  const segs = path.split('/');
  const parts: string[] = [];
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i]!;
    if (STRUCTURAL.test(seg)) continue;
    const hash = seg.indexOf('#');
    parts.push(hash === -1 ? seg : seg.slice(0, hash));
    out.push({ key: parts.join('.'), path: segs.slice(0, i + 1).join('/') });
  }
  return out;
}

/** The foreach a suspended item row belongs to: its aggregate row's path and the item's index. */
function foreachOf(path: string): { aggregate: string; index: number } | null {
  const segs = path.split('/');
  for (let i = segs.length - 2; i >= 0; i--) {
    const m = /^(foreach#\d+)\[(\d+)\]$/.exec(segs[i]!);
    if (m) return { aggregate: [...segs.slice(0, i), m[1], segs[i + 1]].join('/'), index: Number(m[2]) };
  }
  return null;
}

/** A suspend payload with Mastra's `__workflow_meta` added (objects only, as Mastra spreads it). */
function withWorkflowMeta(payload: unknown, meta: Record<string, unknown>): unknown {
  if (payload === undefined) return { __workflow_meta: meta };
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) return { ...payload, __workflow_meta: meta };
  return payload;
}

export function buildSteps(journal: Iterable<JournalEntry>, opts: StepsOptions): {
  steps: Record<string, StepResult<unknown>>;
  suspended: string[][];
  suspendPayload: Record<string, unknown>;
  /** The journal path each entry of `steps` was built from (run streams position its events by it). */
  source: Map<string, string>;
} {
  const steps: Record<string, StepResult<unknown>> = {};
  /** The journal path each entry of `steps` was built from (a later loop round replaces an earlier one). */
  const source = new Map<string, string>();
  const suspendedRows: { key: string; path: string; step: StepResult<unknown> }[] = [];
  /** Per foreach (its aggregate path), its suspended item with the lowest index (Mastra shows that one). */
  const suspendedItems = new Map<string, { index: number; row: JournalEntry }>();
  for (const e of journal) {
    if (e.kind === 'decision') continue;
    if (e.kind === 'item') {
      // Foreach iterations are not steps of their own; a suspended one shows as its foreach suspended.
      const f = e.status === 'suspended' ? foreachOf(e.path) : null;
      if (f && (suspendedItems.get(f.aggregate)?.index ?? Infinity) > f.index) suspendedItems.set(f.aggregate, { index: f.index, row: e });
      continue;
    }
    const key = displayKey(e.path);
    const meta = e.meta === null ? {} : ((decodeForView(e.meta) as RowMeta | undefined) ?? {});
    const known = opts.decoded?.get(e.path);
    const r: StepResult<unknown> = { status: stepStatus(e, meta), payload: known ? known.input : decodeViewKeepingDates(e.input), startedAt: e.startedAt, attempts: e.attempt };
    if (e.output !== null) r.output = known ? known.output : decodeViewKeepingDates(e.output);
    if (e.error !== null) r.error = errorOf(e.error, opts.errors);
    if (e.endedAt !== null) r.endedAt = e.endedAt;
    if (meta.suspendPayload !== undefined) r.suspendPayload = meta.suspendPayload;
    if (meta.resumePayload !== undefined) r.resumePayload = reviveDates(meta.resumePayload);
    if (meta.suspendedAt !== undefined) r.suspendedAt = meta.suspendedAt;
    if (meta.resumedAt !== undefined) r.resumedAt = meta.resumedAt;
    const history = attemptHistory(e, meta, opts.errors);
    if (history) r.attemptHistory = history;
    steps[key] = r;
    source.set(key, e.path);
    if (e.status === 'suspended') suspendedRows.push({ key, path: e.path, step: r });
  }
  for (const [aggregate, { index, row }] of suspendedItems) {
    const key = displayKey(aggregate);
    if (source.get(key) === aggregate) continue;
    const meta = row.meta === null ? {} : ((decodeForView(row.meta) as RowMeta | undefined) ?? {});
    const step: StepResult<unknown> = { status: 'suspended', payload: undefined, startedAt: row.startedAt, attempts: 1 };
    // The payload as the item suspended with it; `__workflow_meta.foreachIndex` says which item, as in Mastra.
    step.suspendPayload = withWorkflowMeta(meta.suspendPayload, { foreachIndex: index });
    if (meta.suspendedAt !== undefined) step.suspendedAt = meta.suspendedAt;
    steps[key] = step;
    source.set(key, aggregate);
    suspendedRows.push({ key, path: aggregate, step: { ...step, suspendPayload: meta.suspendPayload } });
  }
  const suspended: string[][] = [];
  const suspendPayload: Record<string, unknown> = {};
  for (const { key, path, step } of suspendedRows) {
    const parts = key.split('.');
    suspended.push(parts);
    suspendPayload[key] = step.suspendPayload;
    // Mastra keys a nested suspension by the top-level step (the nested workflow's id); keep that key too.
    if (parts.length > 1 && !(parts[0]! in suspendPayload)) suspendPayload[parts[0]!] = step.suspendPayload;
    // A nested workflow whose step is suspended shows as suspended under its own id too (as in Mastra),
    // with the rest of the path in `__workflow_meta`: it has no row of its own until it finishes. A row
    // of an earlier loop round under the same id is replaced: the suspended round is the latest.
    for (const anc of ancestorPaths(path)) {
      if (source.get(anc.key) === anc.path) continue;
      const depth = anc.key.split('.').length;
      const nested: StepResult<unknown> = {
        status: 'suspended',
        payload: undefined,
        startedAt: step.startedAt,
        attempts: 1,
        suspendPayload: withWorkflowMeta(step.suspendPayload, { runId: opts.runId, path: parts.slice(depth) }),
      };
      if (step.suspendedAt !== undefined) nested.suspendedAt = step.suspendedAt;
      steps[anc.key] = nested;
      source.set(anc.key, anc.path);
    }
  }
  return { steps, suspended, suspendPayload, source };
}

function runError(text: string | null): unknown {
  const stored = decodeForView(text);
  if (stored === undefined) return { name: 'Error', message: 'unknown failure' };
  return stored !== null && typeof stored === 'object' && typeof (stored as SerializedError).message === 'string' ? plainError(stored as SerializedError) : stored;
}

export function buildResult(run: RunRecord, journal: Iterable<JournalEntry>, includeState: boolean, decoded?: DecodedRows): WorkflowResult {
  const built = buildSteps(journal, { errors: 'instances', decoded, runId: run.runId });
  const input = decodeForView(run.input);
  // Mastra lists the workflow's input under `steps.input`; a step called `input` takes its place.
  const steps = { [INPUT_KEY]: input, ...built.steps };
  const base: Record<string, unknown> = { status: run.status, runId: run.runId, input, steps };
  if (includeState) base.state = (decodeForView(run.state) as Record<string, unknown> | undefined) ?? {};
  const tracing = decodeForView(run.tracing) as { traceId?: string } | undefined;
  if (tracing?.traceId) base.traceId = tracing.traceId;
  switch (run.status) {
    case 'success':
      base.result = decodeViewKeepingDates(run.result);
      break;
    case 'failed':
      // A plain object without stacks, as Mastra's `result.error` is (its steps' errors are Error instances).
      base.error = runError(run.error);
      break;
    case 'suspended':
      base.suspended = built.suspended;
      base.suspendPayload = built.suspendPayload;
      break;
    default:
      if (run.statusReason) base.statusReason = run.statusReason;
  }
  return base as unknown as WorkflowResult;
}

/** The run's waits for events that have not ended (rows 'waiting' with a wait in their meta). */
export function waitsOf(journal: Iterable<JournalEntry>): WaitInfo[] {
  const out: WaitInfo[] = [];
  for (const e of journal) {
    if (e.status !== 'waiting' || e.meta === null) continue;
    let w: RowMeta['wait'];
    try {
      w = decodeMeta(e.meta).wait;
    } catch {
      continue;
    }
    if (w) out.push({ path: e.path, events: w.events, key: w.key, deadline: w.deadline === null ? null : new Date(w.deadline), onTimeout: w.onTimeout, since: new Date(e.startedAt) });
  }
  return out;
}

export function buildRunView(wf: AnyWorkflow | null, run: RunRecord, rows: Iterable<JournalEntry>): RunView {
  const journal = [...rows];
  const { steps } = buildSteps(journal, { errors: 'stored', runId: run.runId }) as { steps: Record<string, StepView> };
  const tracing = (decodeForView(run.tracing) as { traceId?: string; metadata?: Record<string, unknown> } | undefined) ?? {};
  const view: RunView = {
    ...summarise(run),
    payload: decodeForView(run.input),
    steps,
    state: (decodeForView(run.state) as Record<string, unknown> | undefined) ?? {},
    requestContext: (decodeForView(run.requestContext) as Record<string, unknown> | undefined) ?? {},
    serializedStepGraph: wf ? wf.serializedStepGraph : [],
  };
  if (run.result !== null) view.result = decodeViewKeepingDates(run.result);
  if (run.error !== null) view.error = decodeForView(run.error) as SerializedError;
  if (tracing.metadata) view.metadata = tracing.metadata;
  if (tracing.traceId) view.traceId = tracing.traceId;
  const waits = waitsOf(journal);
  if (waits.length) view.waitingFor = waits;
  return view;
}

export function summarise(run: RunRecord): RunSummary {
  const s: RunSummary = {
    runId: run.runId,
    workflowName: run.workflowId,
    resourceId: run.resourceId ?? undefined,
    status: run.status,
    createdAt: new Date(run.createdAt),
    updatedAt: new Date(run.updatedAt),
  };
  if (run.statusReason) s.statusReason = run.statusReason;
  if (run.fingerprint) {
    s.fingerprint = run.fingerprint;
    const version = versionOfFingerprint(run.fingerprint);
    if (version !== null) s.version = version;
  }
  return s;
}
