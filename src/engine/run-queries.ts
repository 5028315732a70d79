import type { ListRunsOptions, LoopView, ResultQueryOptions, RunGeneration, RunSummary, RunView, StepView, WorkflowResult } from '../define/run-types.js';
import type { AnyWorkflow } from '../define/workflow.js';
import { isTerminal } from '../domain/run-status.js';
import { InvalidArgumentError, RunNotFoundError } from '../errors.js';
import type { Store } from '../store/types.js';
import { normalisePage } from '../store/shared/run-rules.js';
import { checkRunId, encodeCursor, listFilterOf, type RunListQuery } from './checks.js';
import type { RunReader } from './executions.js';
import { buildLoopViews } from './loop-views.js';
import { buildResult, buildRunView, buildSteps, summarise } from './results.js';
import { shapeView, snapshotOf, topLevelSteps, viewNeedsSteps } from './run-shapes.js';
import type { WorkflowRunListing } from '../define/runtime.js';

/** Run ids of handles created in this process and not started yet (nothing is stored for them). */
/** A page of runs: `total` counts the whole filter; `nextCursor` continues after the page's last run. */
export interface RunListPage {
  runs: RunSummary[];
  total: number;
  nextCursor?: string;
}

export class PendingHandles {
  private readonly byRun = new Map<string, string>();

  add(runId: string, workflowId: string): void {
    this.byRun.set(runId, workflowId);
    // Bounded: handles that are never started must not grow memory for the life of the process.
    if (this.byRun.size > 10_000) this.byRun.delete(this.byRun.keys().next().value as string);
  }

  delete(runId: string): void {
    this.byRun.delete(runId);
  }

  workflowOf(runId: string): string | undefined {
    return this.byRun.get(runId);
  }
}

export interface QueriesDeps {
  store: Store;
  reader: RunReader;
  pending: PendingHandles;
  storeCall<T>(fn: () => Promise<T>): Promise<T>;
  workflowById(id: string): AnyWorkflow | undefined;
  /** Loop iterations that keep their values (WeftOptions.loopHistory): how many a loop view shows. */
  loopHistory: number;
}

/** The read side: results, views and listings, the same for the library, the HTTP API and the CLI. */
export class RunQueries {
  constructor(private readonly d: QueriesDeps) {}

  async result(wf: AnyWorkflow, runId: string, opts: ResultQueryOptions): Promise<WorkflowResult | null> {
    const run = await this.d.reader.loadRun(runId);
    if (!run || run.workflowId !== wf.id) {
      if (this.d.pending.workflowOf(runId) === wf.id) return { status: 'pending', runId, input: undefined, steps: {} } as WorkflowResult;
      return null;
    }
    const result = buildResult(run, await this.d.reader.loadJournal(runId), opts.includeState ?? false);
    if (opts.withNestedWorkflows === false) result.steps = topLevelSteps(result.steps);
    return result;
  }

  /** getWorkflowRunById: the run's view, with Mastra's `fields` and `withNestedWorkflows` applied. */
  async view(wf: AnyWorkflow, runId: string, opts: ResultQueryOptions = {}): Promise<RunView | null> {
    const run = await this.d.reader.loadRun(runId);
    if (!run || run.workflowId !== wf.id) return null;
    // Without steps there is no need to read the journal at all (the point of asking for fewer fields).
    const journal = viewNeedsSteps(opts) ? await this.d.reader.loadJournal(runId) : [];
    return shapeView(this.explain(buildRunView(wf, run, journal)), opts) as RunView;
  }

  /** One run's full view, whatever its workflow; null when it does not exist. */
  async anyView(runId: string): Promise<RunView | null> {
    checkRunId(runId);
    const run = await this.d.reader.loadRun(runId);
    if (!run) return null;
    const wf = this.d.workflowById(run.workflowId) ?? null;
    return this.explain(buildRunView(wf, run, await this.d.reader.loadJournal(runId)));
  }

  /** A stored run's summary; RunNotFoundError when it does not exist (or belongs to another workflow). */
  async summary(runId: string, workflowId?: string): Promise<RunSummary> {
    checkRunId(runId);
    const run = await this.d.reader.loadRun(runId);
    if (!run || (workflowId !== undefined && run.workflowId !== workflowId)) throw new RunNotFoundError(runId);
    return this.explain(summarise(run));
  }

  /** The run's loops: iterations run, and the outputs of the last `loopHistory` ones. */
  async loops(runId: string): Promise<LoopView[]> {
    checkRunId(runId);
    const run = await this.d.reader.loadRun(runId);
    if (!run) throw new RunNotFoundError(runId);
    return buildLoopViews(await this.d.reader.loadJournal(runId), this.d.loopHistory);
  }

  /** The run's earlier journals (each time travel keeps the one it replaced), oldest first, as steps. */
  async history(runId: string): Promise<RunGeneration[]> {
    checkRunId(runId);
    const generations = await this.d.storeCall(() => this.d.store.loadHistory(runId));
    return generations.map((g) => ({ generation: g.generation, reason: g.reason, replacedAt: new Date(g.archivedAt), steps: buildSteps(g.rows, { errors: 'stored', runId }).steps as Record<string, StepView> }));
  }

  /**
   * Lists runs newest first. A run whose workflow this process does not have is reported with a
   * `statusReason`: it is never failed for that, and runs again once a worker that has the workflow starts.
   */
  async list(opts: RunListQuery): Promise<RunListPage> {
    const filter = listFilterOf(opts);
    const wf = opts.workflowId === undefined ? undefined : this.d.workflowById(opts.workflowId);
    if (wf) checkSearchable(wf, opts.metadata);
    const res = await this.d.storeCall(() => this.d.store.listRuns(filter));
    const last = res.runs[res.runs.length - 1];
    const page: RunListPage = { runs: res.runs.map((r) => this.explain(summarise(r))), total: res.total };
    // A full page may have more after it; a short one is the last.
    // (Tag and metadata listings page by number: see checkListFilter.)
    if (last && !filter.labels?.length && res.runs.length === normalisePage(filter).perPage) page.nextCursor = encodeCursor(last.createdAt, last.runId);
    return page;
  }

  /**
   * workflow.listWorkflowRuns: the listing with Mastra's `snapshot` per run, built from the run rows
   * (one statement, as every listing). Only a workflow with shouldPersistSnapshot reads each run's
   * journal, for its recorded snapshot.
   */
  async listWithSnapshots(wf: AnyWorkflow, opts: ListRunsOptions): Promise<{ runs: WorkflowRunListing[]; total: number }> {
    const filter = listFilterOf({ ...opts, workflowId: wf.id });
    checkSearchable(wf, opts.metadata);
    const res = await this.d.storeCall(() => this.d.store.listRuns(filter));
    const recorded = wf.lifecycle.shouldPersistSnapshot !== undefined;
    const runs = await Promise.all(
      res.runs.map(async (r) => ({
        ...this.explain(summarise(r)),
        snapshot: snapshotOf(r, recorded ? await this.d.reader.loadJournal(r.runId) : null),
      })),
    );
    return { runs, total: res.total };
  }

  private explain<T extends RunSummary>(s: T): T {
    if (!isTerminal(s.status) && s.status !== 'suspended' && !this.d.workflowById(s.workflowName) && !s.statusReason) {
      s.statusReason = `workflow "${s.workflowName}" is not registered in this process; the run waits for a worker that has it`;
    }
    return s;
  }
}

/** A metadata filter on a key the workflow does not index would match nothing: refused, with the fix. */
function checkSearchable(wf: AnyWorkflow, metadata: unknown): void {
  if (metadata === null || typeof metadata !== 'object') return;
  for (const key of Object.keys(metadata)) {
    if (!wf.operations.searchable.includes(key)) {
      throw new InvalidArgumentError(`metadata key "${key}" is not searchable on workflow "${wf.id}": declare it in the workflow's searchable: [...]`);
    }
  }
}
