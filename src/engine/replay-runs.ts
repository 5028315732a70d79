import type { AnyWorkflow } from '../define/workflow.js';
import { Workflow } from '../define/workflow.js';
import { InvalidArgumentError, ReplayDivergedError } from '../errors.js';
import type { JournalEntry, RunStatus, Store } from '../store/types.js';
import { checkRuns, type CheckReport, type RunCheck } from './check-runs.js';
import { fingerprintOf } from './fingerprint.js';
import { fitJournal, type FitRow } from './journal-fit.js';

/**
 * `replayRuns` (weft/testing): stored journals walked through the current code without executing a
 * step, for test suites. From a store (every unfinished run in it, as `weft check` does) or from
 * exported histories (`weft runs export`: any run, finished ones too). Throws ReplayDivergedError
 * naming each run that would not continue; resolves with the report otherwise.
 */
export interface ReplayHistory {
  run: { runId: string; workflowId: string; status?: RunStatus; fingerprint?: string | null };
  journal: readonly (FitRow & Partial<JournalEntry>)[];
}

export interface ReplayOptions {
  workflows: Record<string, AnyWorkflow> | readonly AnyWorkflow[];
  store?: Store;
  histories?: readonly ReplayHistory[];
}

function byId(workflows: ReplayOptions['workflows']): Map<string, AnyWorkflow[]> {
  const list = Array.isArray(workflows) ? workflows : Object.values(workflows as Record<string, AnyWorkflow>);
  const out = new Map<string, AnyWorkflow[]>();
  for (const wf of list) {
    if (!(wf instanceof Workflow) || !wf.isCommitted) throw new InvalidArgumentError('replayRuns: workflows must be committed workflows made by createWorkflow');
    out.set(wf.id, [...(out.get(wf.id) ?? []), wf]);
  }
  return out;
}

function checkHistory(h: unknown, i: number): ReplayHistory {
  const x = h as ReplayHistory | null;
  if (!x || typeof x !== 'object' || !x.run || typeof x.run.runId !== 'string' || typeof x.run.workflowId !== 'string' || !Array.isArray(x.journal)) {
    throw new InvalidArgumentError(`replayRuns: histories[${i}] must be { run: { runId, workflowId, fingerprint? }, journal: [...] } (as weft runs export writes)`);
  }
  for (const r of x.journal) {
    if (!r || typeof r.path !== 'string' || typeof r.kind !== 'string' || typeof r.status !== 'string') {
      throw new InvalidArgumentError(`replayRuns: histories[${i}] (${x.run.runId}) has a journal row without path, kind and status`);
    }
  }
  return x;
}

export async function replayRuns(opts: ReplayOptions): Promise<CheckReport> {
  if (!opts || typeof opts !== 'object') throw new InvalidArgumentError('replayRuns needs { workflows, store | histories }');
  if (!opts.store && !opts.histories) throw new InvalidArgumentError('replayRuns needs a store or histories to replay');
  const versions = byId(opts.workflows);
  const workflowFor = (id: string, fp: string | null) => {
    const list = versions.get(id);
    return list?.find((v) => fingerprintOf(v) === fp) ?? list?.[list.length - 1];
  };
  const problems: RunCheck[] = [];
  let report: CheckReport = { ok: true, runs: 0, continues: 0, diverges: 0, unregistered: 0, workflows: [], problems };
  if (opts.store) {
    report = await checkRuns({ store: opts.store, workflowFor, versionsOf: (id) => versions.get(id) ?? [] });
  }
  if (opts.histories) {
    if (!Array.isArray(opts.histories)) throw new InvalidArgumentError('replayRuns: histories must be a list');
    const histories = opts.histories.map(checkHistory);
    for (const h of histories) {
      const fp = h.run.fingerprint ?? null;
      const wf = workflowFor(h.run.workflowId, fp);
      const base = { runId: h.run.runId, workflowId: h.run.workflowId, status: h.run.status ?? 'suspended', fingerprint: fp };
      report.runs++;
      if (!wf) {
        report.unregistered++;
        report.problems.push({ ...base, verdict: 'unregistered' });
        continue;
      }
      const d = fp === fingerprintOf(wf) ? null : await fitJournal(wf, h.journal);
      if (d) {
        report.diverges++;
        report.problems.push({ ...base, verdict: 'diverges', path: d.path, reason: d.reason, message: d.message });
      } else report.continues++;
    }
    report.ok = report.diverges === 0 && report.unregistered === 0;
  }
  if (!report.ok) throw new ReplayDivergedError(report.problems);
  return report;
}
