import type { Step } from '../define/types.js';
import { validate } from '../define/schema.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { newRunId } from '../domain/ids.js';
import { isSettled } from '../domain/run-status.js';
import { runLabels } from '../domain/search-labels.js';
import { RunConflictError, RunNotFoundError } from '../errors.js';
import type { NewRun, RunLinks, RunRecord, Store } from '../store/types.js';
import type { Seams } from '../worker/seams.js';
import { checkRerunOptions, type CheckedRerun } from './checks.js';
import type { RunReader } from './executions.js';
import type { LocalClaims } from './local-claim.js';
import { decode, encode } from './payload.js';
import { planTimeTravel } from './time-travel.js';
import { newTraceId } from './tracing.js';

export interface RerunDeps {
  store: Store;
  reader: RunReader;
  claims: LocalClaims;
  seams: Seams;
  maxPayloadBytes: number;
  storeCall<T>(fn: () => Promise<T>): Promise<T>;
}

/** What `weft.rerun` returns. */
export interface RerunResult {
  /** The new run. */
  runId: string;
  /** The run it copies (kept unchanged). */
  rerunOf: string;
  /** The journal path of the step it executes from. */
  fromPath: string;
}

/**
 * Rerun from a step (docs/operations.md, "Rerun from a step"): a new run of the same workflow whose
 * journal is the source run's up to the chosen step, executing from there with the code deployed now.
 * Built on time travel's planner (the rows before the target are kept, the target and what follows
 * run again), but the plan is written to a new run, so the source stays exactly as it was: the
 * evidence of what happened. The two are linked both ways (the new run names its source; the source
 * lists its reruns through an index).
 */
export class Reruns {
  constructor(private readonly d: RerunDeps) {}

  async rerun(wf: AnyWorkflow, sourceRunId: string, opts: unknown): Promise<RerunResult> {
    const o = checkRerunOptions(opts);
    const source = await this.d.reader.loadRun(sourceRunId);
    if (!source || source.workflowId !== wf.id) throw new RunNotFoundError(sourceRunId);
    // A run still moving has no settled record to copy: its journal may change under the copy.
    if (!isSettled(source.status)) throw new RunConflictError(sourceRunId, `is ${source.status}; only a settled run (success, failed, canceled, suspended, paused) can be rerun`);
    const runId = o.runId ?? (this.d.store.newRunId ? this.d.store.newRunId(wf.id, this.d.seams.now()) : newRunId(this.d.seams.now()));
    const journal = (await this.d.reader.loadJournal(sourceRunId)).map((e) => ({ ...e, runId }));
    const max = this.d.maxPayloadBytes;
    const now = this.d.seams.now();
    const plan = planTimeTravel({
      wf,
      runId,
      journal,
      target: o.target,
      context: {},
      nestedStepsContext: {},
      ...(o.inputData ? { inputData: o.inputData } : {}),
      now,
      maxPayloadBytes: max,
    });
    if (o.inputData) await validate(plan.targetInputSchema as Step['inputSchema'], o.inputData.value, `inputData of rerun step "${o.target.join('.')}"`);
    const create = this.newRun(wf, source, runId, o, plan.targetPath);
    await this.d.claims.run(wf, async (claim) => {
      try {
        return await this.d.storeCall(() =>
          this.d.store.reviseRun({
            runId,
            // No status is accepted: the run must be created here, never an existing one rewound.
            from: [],
            create,
            journal: { rows: plan.rows, reason: `rerun of ${sourceRunId} from ${o.target.join('.')}` },
            patch: {},
            owner: claim?.owner ?? null,
            leaseExpiresAt: claim?.leaseExpiresAt ?? null,
            now: this.d.seams.now(),
          }),
        );
      } catch (err) {
        if (err instanceof RunConflictError) throw new RunConflictError(runId, 'exists already; a rerun needs a new run id');
        throw err;
      }
    });
    return { runId, rerunOf: sourceRunId, fromPath: plan.targetPath };
  }

  /** A run's rerun links; none on a store that keeps none. */
  async links(runId: string): Promise<RunLinks> {
    const load = this.d.store.loadLinks;
    if (!load) return { rerunOf: null, reruns: [], parent: null, children: [] };
    return this.d.storeCall(() => load.call(this.d.store, runId));
  }

  /**
   * The new run: the source's input, request context, resource, tags and metadata (so searches find
   * reruns beside their source), a trace of its own, and the source's state unless `initialState`
   * replaces it (the state is stored as of the source's last status change; patches recorded by the
   * kept steps are applied again over it as the walk replays them).
   */
  private newRun(wf: AnyWorkflow, source: RunRecord, runId: string, o: CheckedRerun, fromPath: string): NewRun {
    const max = this.d.maxPayloadBytes;
    const tracing = (decode(source.tracing) as { metadata?: Record<string, unknown>; tags?: string[] } | undefined) ?? {};
    const own: Record<string, unknown> = { traceId: newTraceId(runId) };
    if (tracing.metadata) own.metadata = tracing.metadata;
    if (tracing.tags) own.tags = tracing.tags;
    const key = wf.concurrency?.key;
    return {
      runId,
      workflowId: wf.id,
      status: 'pending',
      resourceId: source.resourceId,
      input: source.input,
      state: o.initialState !== undefined ? encode(o.initialState, 'initialState', max) : source.state,
      requestContext: source.requestContext,
      tracing: encode(own, 'tracing', max),
      priority: wf.priority,
      concurrencyKey: key ? String(key(decode(source.input))) : null,
      owner: null,
      leaseExpiresAt: null,
      now: this.d.seams.now(),
      labels: runLabels(tracing.tags ?? [], tracing.metadata, wf.operations.searchable),
      rerunOf: { runId: source.runId, step: fromPath },
    };
  }
}
