import { RunNotFoundError } from '../../errors.js';
import { checkResumable, checkRetryable, checkRevisable, checkSuspendedRow, resumedMeta, resumedPaths } from '../shared/resume-rules.js';
import { applyRunPatch } from '../shared/run-rules.js';
import { checkText } from '../shared/validate.js';
import { isTerminal } from '../types.js';
import type { ClaimedRun, HoldRequest, ResumeRequest, RetryRequest, ReviseRequest, RunPatch, RunRecord } from '../types.js';
import { journalOf, type MemoryRuns } from './memory-runs.js';

/**
 * The memory store's changes of a run's course by command: resume, retry, revise (continue, time
 * travel, restart) and cancel, each with the preconditions of shared/resume-rules.ts, a new epoch and
 * the indexes refreshed.
 */

export function resumeRun(s: MemoryRuns, req: ResumeRequest): RunRecord {
  const r = s.runs.get(req.runId);
  const paths = resumedPaths(req);
  for (const p of paths) checkText(p, 'path');
  checkText(req.resumeData, 'resumeData');
  checkText(req.requestContext, 'requestContext');
  checkText(req.owner, 'owner');
  checkResumable(req.runId, r?.record);
  const rec = r.record;
  const rows = paths.map((p) => {
    const row = r.journal.get(p);
    checkSuspendedRow(req.runId, p, row);
    return row;
  });
  for (const row of rows) r.journal.set(row.path, { ...row, status: 'resumed', meta: resumedMeta(row.meta, req.resumeData) });
  rec.status = req.owner ? 'running' : 'pending';
  rec.owner = req.owner;
  rec.leaseExpiresAt = req.owner ? req.leaseExpiresAt : null;
  rec.leaseEpoch += 1;
  if (req.requestContext !== null) rec.requestContext = req.requestContext;
  rec.updatedAt = req.now;
  s.index.refresh(r);
  s.noteHeld(r);
  return { ...rec };
}

export function retryRun(s: MemoryRuns, req: RetryRequest): RunRecord {
  const r = s.runs.get(req.runId);
  checkRetryable(req.runId, r?.record);
  const rec = r.record;
  for (const [path, e] of r.journal) if (e.status === 'failed') r.journal.delete(path);
  rec.status = req.owner ? 'running' : 'pending';
  rec.error = null;
  rec.result = null;
  rec.owner = req.owner;
  rec.leaseExpiresAt = req.owner ? req.leaseExpiresAt : null;
  rec.leaseEpoch += 1;
  rec.updatedAt = req.now;
  s.index.refresh(r);
  s.noteHeld(r);
  return { ...rec };
}

/**
 * Store.reviseRun after its arguments were checked and, when `created`, after the store created the run
 * from `req.create` (a run created for the revision starts its course now: no status to check).
 */
export function reviseRun(s: MemoryRuns, req: ReviseRequest, created: boolean): ClaimedRun {
  const r = s.runs.get(req.runId);
  if (!created) checkRevisable(req, r?.record);
  if (!r) throw new RunNotFoundError(req.runId);
  if (req.journal) {
    // A generation is the journal that was replaced: an empty journal leaves nothing to keep.
    const history = (r.history ??= []);
    if (r.journal.size > 0) history.push({ generation: history.length + 1, reason: req.journal.reason, archivedAt: req.now, rows: journalOf(r) });
    r.journal = new Map(req.journal.rows.map((e) => [e.path, s.positioned(undefined, e)]));
  }
  const rec = r.record;
  const p = req.patch;
  if ('input' in p) rec.input = p.input ?? null;
  if ('state' in p) rec.state = p.state ?? null;
  if ('requestContext' in p) rec.requestContext = p.requestContext ?? null;
  if ('options' in p) rec.options = p.options ?? null;
  rec.status = req.owner ? 'running' : 'pending';
  rec.owner = req.owner;
  rec.leaseExpiresAt = req.owner ? req.leaseExpiresAt : null;
  rec.leaseEpoch += 1;
  rec.result = null;
  rec.error = null;
  rec.wakeAt = null;
  rec.statusReason = null;
  rec.updatedAt = req.now;
  s.index.refresh(r);
  return { run: { ...rec }, journal: journalOf(r) };
}

export function cancelRun(s: MemoryRuns, runId: string, now: number, hold?: HoldRequest): RunRecord | null {
  if (hold) checkText(hold.owner, 'owner');
  const r = s.runs.get(runId);
  if (!r) return null;
  const rec = r.record;
  if (isTerminal(rec.status)) return { ...rec };
  const before = rec.status;
  const patch: RunPatch = { status: 'canceled', release: true, wakeAt: null };
  applyRunPatch(rec, patch, now);
  if (hold) {
    rec.owner = hold.owner;
    rec.leaseExpiresAt = hold.leaseExpiresAt;
  }
  rec.leaseEpoch += 1;
  s.index.refresh(r);
  s.noteHeld(r);
  s.children.statusChanged(r, before, now);
  return { ...rec };
}
