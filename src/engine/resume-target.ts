import { InvalidArgumentError, StepNotSuspendedError } from '../errors.js';
import type { ResumeOptions } from '../define/run-types.js';
import { decodeMeta } from '../domain/journal-meta.js';
import type { JournalEntry } from '../store/types.js';
import { displayKey } from './results.js';

/**
 * A suspended step as a caller names it: one suspended row, or (for a foreach) every suspended item of
 * the foreach, which resume together unless `forEachIndex` or a label picks one, as in Mastra.
 */
interface SuspendedStep {
  /** The id it shows under in results (`approve`, `child.approve`, the foreach's step id). */
  key: string;
  rows: { path: string; index: number | null }[];
}

/** The foreach item a row belongs to: the foreach's path (`.../foreach#2`) and the item's index. */
function foreachItem(path: string): { foreach: string; child: string; index: number } | null {
  const segs = path.split('/');
  for (let i = segs.length - 2; i >= 0; i--) {
    const m = /^(foreach#\d+)\[(\d+)\]$/.exec(segs[i]!);
    if (m) return { foreach: [...segs.slice(0, i), m[1]].join('/'), child: segs[i + 1]!, index: Number(m[2]) };
  }
  return null;
}

function suspendedSteps(journal: JournalEntry[]): SuspendedStep[] {
  const out: SuspendedStep[] = [];
  const byForeach = new Map<string, SuspendedStep>();
  for (const e of journal) {
    if (e.status !== 'suspended') continue;
    const item = e.kind === 'item' ? foreachItem(e.path) : null;
    if (!item) {
      out.push({ key: displayKey(e.path), rows: [{ path: e.path, index: null }] });
      continue;
    }
    let step = byForeach.get(item.foreach);
    if (!step) {
      step = { key: displayKey(`${item.foreach}/${item.child}`), rows: [] };
      byForeach.set(item.foreach, step);
      out.push(step);
    }
    step.rows.push({ path: e.path, index: item.index });
  }
  return out;
}

function stepKey(step: NonNullable<ResumeOptions['step']>): string {
  if (typeof step === 'string') return step;
  if (Array.isArray(step)) {
    const parts = step.map((s) => (typeof s === 'string' ? s : (s as { id?: unknown })?.id));
    if (parts.some((p) => typeof p !== 'string')) throw new InvalidArgumentError('resume step path must be ids or steps');
    return parts.join('.');
  }
  if (step && typeof step === 'object' && typeof (step as { id?: unknown }).id === 'string') return (step as { id: string }).id;
  throw new InvalidArgumentError('resume `step` must be a step, a step id, a dotted path or an array of ids');
}

/**
 * The suspended steps `key` names: by id or dotted path (`child.approve`), by its last ids
 * (`approve`), or by a nested workflow it is in (`child`: Mastra resumes the step suspended inside it).
 * A journal path names its own row.
 */
function matching(steps: SuspendedStep[], key: string): SuspendedStep[] {
  const byPath = steps.flatMap((s) => s.rows.filter((r) => r.path === key).map((r) => ({ key: s.key, rows: [r] })));
  if (byPath.length) return byPath;
  // A step id used twice (`approve`, `approve#1`) names the first of them still suspended.
  const exact = steps.find((s) => s.key === key);
  if (exact) return [exact];
  const suffix = steps.filter((s) => s.key.endsWith(`.${key}`));
  if (suffix.length) return suffix;
  return steps.filter((s) => s.key.startsWith(`${key}.`));
}

function multiple(runId: string, steps: SuspendedStep[]): InvalidArgumentError {
  // Mastra's wording (callers match on it), with each step's path as Mastra prints it.
  const list = steps.map((s) => `[${s.key.split('.').join(', ')}]`).join(', ');
  return new InvalidArgumentError(`Multiple suspended steps found in run "${runId}": ${list}. Please specify which step to resume using the "step" parameter.`);
}

/**
 * Picks the journal rows a resume targets: by label, by step (object, id, dotted path, array of ids,
 * or a nested workflow's id), or the only suspended step; `forEachIndex` picks one item of a suspended
 * foreach, which otherwise resumes all its suspended items. Errors name the suspended steps.
 */
export function resolveResumeTarget(runId: string, journal: JournalEntry[], opts: ResumeOptions): string[] {
  const steps = suspendedSteps(journal);
  const names = steps.map((s) => s.key);
  if (opts.label !== undefined) {
    if (typeof opts.label !== 'string') throw new InvalidArgumentError('resume label must be a string');
    const hit = journal.find((e) => e.status === 'suspended' && (decodeMeta(e.meta).resumeLabels ?? []).includes(opts.label!));
    if (!hit) throw new StepNotSuspendedError(runId, `label "${opts.label}"`, names);
    return [hit.path];
  }
  let candidates = steps;
  if (opts.step !== undefined) {
    const key = stepKey(opts.step);
    candidates = matching(steps, key);
    if (candidates.length === 0) throw new StepNotSuspendedError(runId, key, names);
  } else if (opts.forEachIndex !== undefined) {
    candidates = steps.filter((s) => s.rows.some((r) => r.index !== null));
  }
  if (candidates.length === 0) throw new StepNotSuspendedError(runId, '(any)', names);
  if (candidates.length > 1) throw multiple(runId, candidates);
  const target = candidates[0]!;
  if (opts.forEachIndex === undefined) return target.rows.map((r) => r.path);
  const item = target.rows.find((r) => r.index === opts.forEachIndex);
  if (!item) throw new StepNotSuspendedError(runId, `${target.key} (forEachIndex ${opts.forEachIndex})`, names);
  return [item.path];
}
