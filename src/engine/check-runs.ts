import type { AnyWorkflow } from '../define/workflow.js';
import type { RunStatus } from '../domain/run-status.js';
import type { JournalEntry, RunHead, Store } from '../store/types.js';
import { fingerprintOf, versionOfFingerprint } from './fingerprint.js';
import { fitSchemas, fitStructure, type Divergence, type DivergenceReason, type FitRow, type StructuralFit } from './journal-fit.js';

/**
 * `weft check` / `weft.check()`: every unfinished run in the store compared with the definitions this
 * process has, without executing anything. A run whose fingerprint is its definition's own continues
 * by construction (its journal is not even read); the others have their journals read in bulk, a page
 * at a time, and fitted to the graph. The structural fit depends only on the definition and on the
 * journal's paths, kinds, statuses and branch choices, so it is computed once per distinct journal
 * shape (thousands of runs stopped at the same step share one); only the schema pass reads each run's
 * own recorded output.
 */

/** The statuses of a run that has not finished: a new definition may still have to continue it. */
export const UNFINISHED: readonly RunStatus[] = ['pending', 'running', 'waiting', 'suspended', 'paused'];

export type RunVerdict = 'continues' | 'diverges' | 'unregistered';

export interface RunCheck {
  runId: string;
  workflowId: string;
  status: RunStatus;
  /** The fingerprint the run started with (null: a run from before fingerprints were stored). */
  fingerprint: string | null;
  verdict: RunVerdict;
  /** For `diverges`: the first journal path that no longer fits, why, and in words. */
  path?: string;
  reason?: DivergenceReason;
  message?: string;
}

export interface WorkflowCheck {
  workflowId: string;
  /** Whether this process has a definition of it (else its runs would wait for a worker forever). */
  registered: boolean;
  /** The registered versions: their declared version and fingerprint (oldest first). */
  versions: { version: string | null; fingerprint: string }[];
  runs: number;
  continues: number;
  diverges: number;
  /** Unfinished runs per fingerprint they started with ('none' for runs from before fingerprints). */
  byFingerprint: Record<string, number>;
}

export interface CheckReport {
  /** False when any unfinished run would break (diverges, or its workflow is not registered). */
  ok: boolean;
  runs: number;
  continues: number;
  diverges: number;
  unregistered: number;
  workflows: WorkflowCheck[];
  /** Every run that would break, in run id order. */
  problems: RunCheck[];
  /** Every run that continues too, when asked for (`all`). */
  continuing?: RunCheck[];
}

export interface CheckOptions {
  /** Only runs of these workflows (default: every workflow with unfinished runs in the store). */
  workflowIds?: string[];
  /** List the runs that continue as well as those that break. */
  all?: boolean;
  /** Runs read per page (default 2000). */
  pageSize?: number;
}

export interface CheckDeps {
  store: Store;
  /** The definition a run continues on (registry.ts `forRun`), or undefined when not registered. */
  workflowFor(workflowId: string, fingerprint: string | null): AnyWorkflow | undefined;
  versionsOf(workflowId: string): AnyWorkflow[];
}

/** The structural fit of one journal shape to one definition, shared by every run that has it. */
class FitCache {
  private readonly byWorkflow = new Map<AnyWorkflow, Map<string, StructuralFit>>();

  get(wf: AnyWorkflow, rows: readonly FitRow[]): StructuralFit {
    let m = this.byWorkflow.get(wf);
    if (!m) this.byWorkflow.set(wf, (m = new Map()));
    // Branch choices are part of the shape: a replay follows them by position.
    let key = '';
    for (const r of rows) key += `${r.path}\u0000${r.kind}\u0000${r.status}\u0000${r.kind === 'decision' ? r.output : ''}\u0001`;
    let fit = m.get(key);
    if (!fit) m.set(key, (fit = fitStructure(wf, rows)));
    return fit;
  }
}

/** The schema pass on one run: its own recorded outputs at the shape's frontiers. */
async function schemaFit(wf: AnyWorkflow, fit: StructuralFit, rows: readonly JournalEntry[]): Promise<Divergence | null> {
  if (fit.frontiers.length === 0) return null;
  const outputs = new Map(rows.map((r) => [r.path, r.output]));
  const own = fit.frontiers.map((f) => ({ ...f, output: outputs.get(f.from) ?? f.output }));
  return fitSchemas(wf, own);
}

function workflowEntry(d: CheckDeps, out: Map<string, WorkflowCheck>, workflowId: string): WorkflowCheck {
  let w = out.get(workflowId);
  if (!w) {
    const versions = d.versionsOf(workflowId).map((v) => ({ version: v.version ?? null, fingerprint: fingerprintOf(v) }));
    w = { workflowId, registered: versions.length > 0, versions, runs: 0, continues: 0, diverges: 0, byFingerprint: {} };
    out.set(workflowId, w);
  }
  return w;
}

export async function checkRuns(d: CheckDeps, opts: CheckOptions = {}): Promise<CheckReport> {
  const limit = opts.pageSize ?? 2000;
  const cache = new FitCache();
  const workflows = new Map<string, WorkflowCheck>();
  const report: CheckReport = { ok: true, runs: 0, continues: 0, diverges: 0, unregistered: 0, workflows: [], problems: [] };
  if (opts.all) report.continuing = [];
  const verdict = (h: RunHead, v: RunVerdict, div?: Divergence) => {
    const w = workflowEntry(d, workflows, h.workflowId);
    w.runs++;
    const fp = h.fingerprint ?? 'none';
    w.byFingerprint[fp] = (w.byFingerprint[fp] ?? 0) + 1;
    report.runs++;
    const rc: RunCheck = { runId: h.runId, workflowId: h.workflowId, status: h.status, fingerprint: h.fingerprint, verdict: v };
    if (div) Object.assign(rc, { path: div.path, reason: div.reason, message: div.message });
    if (v === 'continues') {
      w.continues++;
      report.continues++;
      report.continuing?.push(rc);
      return;
    }
    if (v === 'diverges') {
      w.diverges++;
      report.diverges++;
    } else report.unregistered++;
    report.problems.push(rc);
  };
  let after: string | null = null;
  for (;;) {
    const heads = await d.store.scanRuns({ statuses: UNFINISHED, after, limit, ...(opts.workflowIds ? { workflowIds: opts.workflowIds } : {}) });
    if (heads.length === 0) break;
    after = heads[heads.length - 1]!.runId;
    const compare: { head: RunHead; wf: AnyWorkflow }[] = [];
    for (const h of heads) {
      const wf = d.workflowFor(h.workflowId, h.fingerprint);
      if (!wf) verdict(h, 'unregistered');
      else if (h.fingerprint === fingerprintOf(wf)) verdict(h, 'continues');
      else compare.push({ head: h, wf });
    }
    if (compare.length > 0) {
      const rows = await d.store.loadJournals(compare.map((c) => c.head.runId));
      const byRun = new Map<string, JournalEntry[]>();
      for (const r of rows) {
        const list = byRun.get(r.runId);
        if (list) list.push(r);
        else byRun.set(r.runId, [r]);
      }
      for (const { head, wf } of compare) {
        const journal = byRun.get(head.runId) ?? [];
        const fit = cache.get(wf, journal);
        const div = fit.divergence ?? (await schemaFit(wf, fit, journal));
        verdict(head, div ? 'diverges' : 'continues', div ?? undefined);
      }
    }
    if (heads.length < limit) break;
  }
  report.workflows = [...workflows.values()].sort((a, b) => (a.workflowId < b.workflowId ? -1 : 1));
  report.ok = report.diverges === 0 && report.unregistered === 0;
  return report;
}

/** How many unfinished runs of a workflow started on each fingerprint (heads only: no journal is read). */
export async function countByFingerprint(store: Store, workflowId: string, pageSize = 5000): Promise<Map<string | null, number>> {
  const out = new Map<string | null, number>();
  for (let after: string | null = null; ; ) {
    const heads = await store.scanRuns({ statuses: UNFINISHED, after, limit: pageSize, workflowIds: [workflowId] });
    for (const h of heads) out.set(h.fingerprint, (out.get(h.fingerprint) ?? 0) + 1);
    if (heads.length < pageSize) return out;
    after = heads[heads.length - 1]!.runId;
  }
}

/** A fingerprint as people read it: `v3 (1a2b…)`, or the hash alone. */
export function describeFingerprint(fp: string | null): string {
  if (fp === null) return '(none: started before fingerprints)';
  const v = versionOfFingerprint(fp);
  return v === null ? fp : `v${v} (${fp.slice(v.length + 1)})`;
}
