import type { RuntimeWorkflow, WorkflowRuntime } from '../define/runtime.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { checkCreateRunOptions, checkRunId, checkViewOptions } from './checks.js';
import type { RunCommands } from './run-commands.js';
import type { CourseCommands } from './course-commands.js';
import { ACTIVE_STATUSES } from '../domain/run-status.js';
import { Run, type RunHost } from './run-handle.js';
import { startMany } from './start-many.js';
import type { PendingHandles, RunQueries } from './run-queries.js';

export interface RuntimeDeps {
  ready(): Promise<void>;
  /** Registers a workflow the engine has not seen (the default engine learns workflows on first use). */
  register(wf: AnyWorkflow): void;
  isRegistered(workflowId: string): boolean;
  isExecuting(runId: string): boolean;
  pending: PendingHandles;
  now(): number;
  /** A new run id for a run of this workflow (the store's, when it places runs by id). */
  newRunId(workflowId: string): string;
  queries(): RunQueries;
  commands(): RunCommands;
  course(): CourseCommands;
  handleHost: RunHost;
}

/**
 * What a workflow object's run methods (`createRun`, `getWorkflowRunExecutionResult`, ...) reach when
 * it is registered with an engine: the seam between define/ and the engine, kept off the Weft class.
 */
export function engineRuntime(d: RuntimeDeps): WorkflowRuntime {
  const asWorkflow = (wf: RuntimeWorkflow) => wf as AnyWorkflow;
  const createRun = (wf: AnyWorkflow, opts: unknown): Run => {
    const o = checkCreateRunOptions(opts);
    if (!d.isRegistered(wf.id)) d.register(wf);
    const runId = o.runId ?? d.newRunId(wf.id);
    if (!d.isExecuting(runId)) d.pending.add(runId, wf.id);
    return new Run(d.handleHost, wf, runId, o.resourceId);
  };
  return {
    async createRun(w, opts) {
      return createRun(asWorkflow(w), opts);
    },
    async startMany(w, items, opts) {
      const wf = asWorkflow(w);
      if (!d.isRegistered(wf.id)) d.register(wf);
      await d.ready();
      return startMany(items, opts, async (o) => createRun(wf, o));
    },
    async getWorkflowRunExecutionResult(w, runId, opts) {
      checkRunId(runId);
      await d.ready();
      return d.queries().result(asWorkflow(w), runId, opts);
    },
    async getWorkflowRunById(w, runId, opts) {
      checkRunId(runId);
      const o = checkViewOptions(opts);
      await d.ready();
      return d.queries().view(asWorkflow(w), runId, o);
    },
    async listWorkflowRuns(w, opts) {
      await d.ready();
      return d.queries().listWithSnapshots(asWorkflow(w), opts);
    },
    async deleteWorkflowRunById(w, runId) {
      checkRunId(runId);
      await d.ready();
      return d.commands().delete(asWorkflow(w), runId);
    },
    async listActiveWorkflowRuns(w) {
      await d.ready();
      return d.queries().list({ workflowId: w.id, status: [...ACTIVE_STATUSES], perPage: 1000 });
    },
    async restartAllActiveWorkflowRuns(w) {
      await d.ready();
      await d.course().restartAllActive(asWorkflow(w));
    },
  };
}
