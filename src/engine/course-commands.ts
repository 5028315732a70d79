import { fingerprintOf } from './fingerprint.js';
import type { Lifecycle } from './lifecycle.js';
import type { Step } from '../define/types.js';
import { validate } from '../define/schema.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { encodeRunOptions } from '../domain/run-options.js';
import { ACTIVE_STATUSES, SETTLED_STATUSES } from '../domain/run-status.js';
import { RunNotFoundError } from '../errors.js';
import type { NewRun, ReviseRequest, Store } from '../store/types.js';
import type { Seams } from '../worker/seams.js';
import { checkTimeTravelOptions, type CheckedTimeTravel } from './checks.js';
import type { LocalExecutions, RunReader } from './executions.js';
import type { LocalClaims } from './local-claim.js';
import { encode } from './payload.js';
import { planTimeTravel } from './time-travel.js';
import { newTraceId } from './tracing.js';

export interface CourseDeps {
  store: Store;
  reader: RunReader;
  claims: LocalClaims;
  executions: LocalExecutions;
  seams: Seams;
  maxPayloadBytes: number;
  storeCall<T>(fn: () => Promise<T>): Promise<T>;
  /** A handle's run now exists in the store: it is no longer reported as an unstarted handle. */
  started(runId: string): void;
  lifecycle: Lifecycle;
}

/**
 * Commands that change a run's course (time travel, restart). Each is one atomic store revision
 * (Store.reviseRun) through the same claim path as create and resume, and keeps what it replaced: a
 * rewound run's earlier journal stays readable in its history.
 */
export class CourseCommands {
  constructor(private readonly d: CourseDeps) {}

  private now(): number {
    return this.d.seams.now();
  }

  /**
   * Executes `opts.step` (and everything after it) again, with the results of the steps before it
   * taken from `opts.context` or from the run's record. The run may not exist yet (it is created), or
   * must have settled (success, failed, canceled, suspended, paused): a run still running is refused.
   */
  async timeTravel(wf: AnyWorkflow, runId: string, resourceId: string | undefined, opts: unknown): Promise<{ includeState: boolean }> {
    const o = checkTimeTravelOptions(opts);
    const run = await this.d.reader.loadRun(runId);
    if (run && run.workflowId !== wf.id) throw new RunNotFoundError(runId);
    // The outcome's own callbacks first: the revision bumps the epoch, which would fence their record.
    if (run) await this.d.lifecycle.settle(wf, runId);
    const journal = run ? await this.d.reader.loadJournal(runId) : [];
    const max = this.d.maxPayloadBytes;
    const plan = planTimeTravel({
      wf,
      runId,
      journal,
      target: o.target,
      context: o.context,
      nestedStepsContext: o.nestedStepsContext,
      ...(o.inputData ? { inputData: o.inputData } : {}),
      ...(o.resumeData ? { resumeData: o.resumeData } : {}),
      now: this.now(),
      maxPayloadBytes: max,
    });
    const where = `time travel target "${o.target.join('.')}"`;
    if (o.inputData) await validate(plan.targetInputSchema as Step['inputSchema'], o.inputData.value, `inputData of ${where}`);
    const patch: ReviseRequest['patch'] = { options: encodeRunOptions({ perStep: o.perStep }) };
    if (o.initialState !== undefined) patch.state = encode(o.initialState, 'initialState', max);
    if (o.requestContext !== undefined) patch.requestContext = encode(o.requestContext, 'requestContext', max);
    const create = run ? undefined : this.newRun(wf, runId, resourceId, o);
    await this.d.claims.run(wf, (claim) =>
      this.d.storeCall(() =>
        this.d.store.reviseRun({
          runId,
          from: SETTLED_STATUSES,
          ...(create ? { create } : {}),
          journal: { rows: plan.rows, reason: `time travel to ${o.target.join('.')}` },
          patch,
          owner: claim?.owner ?? null,
          leaseExpiresAt: claim?.leaseExpiresAt ?? null,
          now: this.now(),
        }),
      ),
    );
    this.d.started(runId);
    return { includeState: o.includeState };
  }

  /** A run time travel creates: its input is the first given step's payload (or the target's input). */
  private newRun(wf: AnyWorkflow, runId: string, resourceId: string | undefined, o: CheckedTimeTravel): NewRun {
    const max = this.d.maxPayloadBytes;
    const first = Object.values(o.context)[0];
    const input = first && 'payload' in first ? first.payload : o.inputData?.value;
    return {
      runId,
      workflowId: wf.id,
      status: 'pending',
      resourceId: resourceId ?? null,
      input: encode(input, `input of workflow "${wf.id}"`, max),
      state: encode(o.initialState ?? {}, 'initialState', max),
      requestContext: null,
      tracing: encode({ traceId: newTraceId(runId) }, 'tracing', max),
      priority: wf.priority,
      concurrencyKey: null,
      owner: null,
      leaseExpiresAt: null,
      now: this.now(),
      fingerprint: fingerprintOf(wf),
    };
  }

  /**
   * Carries an active run (pending, running or waiting) on now, from its last recorded step: it is
   * claimed here (or queued), and whoever held it is fenced (its in-flight step runs again). weft
   * recovers runs by itself; this is for a run an operator wants moved at once.
   */
  async restart(wf: AnyWorkflow, runId: string): Promise<void> {
    const run = await this.d.reader.loadRun(runId);
    if (!run || run.workflowId !== wf.id) throw new RunNotFoundError(runId);
    if (this.d.executions.has(runId)) return;
    await this.d.claims.run(wf, (claim) =>
      this.d.storeCall(() =>
        this.d.store.reviseRun({ runId, from: ACTIVE_STATUSES, patch: {}, owner: claim?.owner ?? null, leaseExpiresAt: claim?.leaseExpiresAt ?? null, now: this.now() }),
      ),
    );
  }

  /**
   * Restarts the active runs of `wf` that nobody carries: pending ones, due timers, and running ones
   * whose lease ran out. Runs a live worker holds are left alone (restarting them would only run their
   * steps twice). Returns how many were restarted.
   */
  async restartAllActive(wf: AnyWorkflow): Promise<number> {
    let restarted = 0;
    for (let page = 0; ; page++) {
      const { runs } = await this.d.storeCall(() => this.d.store.listRuns({ workflowId: wf.id, status: [...ACTIVE_STATUSES], page, perPage: 1000 }));
      const now = this.now();
      for (const r of runs) {
        const carried = this.d.executions.has(r.runId) || (r.status === 'running' && r.owner !== null && (r.leaseExpiresAt ?? 0) > now);
        const sleeping = r.status === 'waiting' && r.wakeAt !== null && r.wakeAt > now;
        if (carried || sleeping) continue;
        await this.restart(wf, r.runId).then(
          () => restarted++,
          () => undefined, // it moved on meanwhile (finished, or another restart won)
        );
      }
      if (runs.length < 1000) return restarted;
    }
  }
}
