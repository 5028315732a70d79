import { InvalidArgumentError, StepNotSuspendedError } from '../errors.js';
import type { ResumeOptions } from '../define/run-types.js';
import type { JournalEntry } from '../store/types.js';
import { decode } from './payload.js';
import { displayKey } from './results.js';

/**
 * Picks the journal path a resume targets: by step (object, id, dotted path or array of ids), by
 * label, or the only suspended step. Errors name the suspended steps so the caller can fix the call.
 */
export function resolveResumeTarget(runId: string, journal: JournalEntry[], opts: ResumeOptions): string {
  const suspended = journal.filter((e) => e.status === 'suspended');
  const names = suspended.map((e) => displayKey(e.path));
  if (opts.label !== undefined) {
    if (typeof opts.label !== 'string') throw new InvalidArgumentError('resume label must be a string');
    const hit = suspended.find((e) => ((decode(e.meta) as { resumeLabels?: string[] } | undefined)?.resumeLabels ?? []).includes(opts.label!));
    if (!hit) throw new StepNotSuspendedError(runId, `label "${opts.label}"`, names);
    return hit.path;
  }
  if (opts.step !== undefined) {
    const key = stepKey(opts.step);
    const hits = suspended.filter((e) => displayKey(e.path) === key || e.path === key || displayKey(e.path).endsWith(`.${key}`));
    const exact = hits.find((e) => displayKey(e.path) === key || e.path === key) ?? (hits.length === 1 ? hits[0] : undefined);
    if (!exact) throw new StepNotSuspendedError(runId, key, names);
    return exact.path;
  }
  if (suspended.length === 1) return suspended[0]!.path;
  if (suspended.length === 0) throw new StepNotSuspendedError(runId, '(any)', names);
  throw new InvalidArgumentError(`run "${runId}" has several suspended steps (${names.join(', ')}); pass \`step\` or \`label\` to resume one`);
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
