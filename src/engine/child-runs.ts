import { Workflow, type AnyWorkflow } from '../define/workflow.js';
import { ChildRunConflictError, InvalidArgumentError, WorkflowNotFoundError } from '../errors.js';
import type { ChildWaitRequest, ChildWaitResult, Store } from '../store/types.js';
import { admits } from './admission.js';

/** What a step's ctx.startWorkflow asks the engine to start (interpreter/child-run.ts). */
export interface StartChildRequest {
  parentRunId: string;
  /** The parent's journal row that waits for the child (`<step path>@child<n>`). */
  parentPath: string;
  /** A workflow object or its id, as the step passed it. */
  workflow: unknown;
  childRunId: string;
  /** The id was derived (not given by the step): a sharded store may move it to the parent's shard. */
  derived?: boolean;
  input: unknown;
  resourceId: string | undefined;
}

export interface ChildRunsDeps {
  store: Store;
  workflowById(id: string): AnyWorkflow | undefined;
  /** The default engine only: registers a workflow object it has not seen yet. */
  learn?(wf: AnyWorkflow): void;
  /**
   * RunCommands.create with the parent link: validates the input against the workflow (nothing is
   * written when it is refused), then creates the run (claimed here when a slot is free).
   */
  create(wf: AnyWorkflow, runId: string, resourceId: string | undefined, opts: unknown, parent: { runId: string; path: string }): Promise<{ created: boolean }>;
  storeCall<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * Starting and awaiting child runs for the interpreter. A child is an ordinary run of a registered
 * workflow whose row names its parent and the parent's waiting row; the store wakes the parent when the
 * child settles (Store.registerChildWait, NewRun.parent).
 */
export class ChildRuns {
  constructor(private readonly d: ChildRunsDeps) {}

  /**
   * Creates the child run unless it exists (a replay of the parent after a crash attaches to it). An
   * existing run with that id that is not this call's child is refused. Returns the child's workflow id.
   */
  async start(req: StartChildRequest): Promise<{ workflowId: string; runId: string }> {
    if (!this.d.store.registerChildWait) throw new InvalidArgumentError(`the ${this.d.store.kind} store does not support child runs`);
    const wf = this.resolve(req.workflow);
    if (admits(wf, undefined)) {
      throw new InvalidArgumentError(`workflow "${wf.id}" has start-time flow control (debounce, batch, singleton, rate limit or idempotency); it cannot be started as a child run`);
    }
    const parent = { runId: req.parentRunId, path: req.parentPath };
    const store = this.d.store;
    // A sharded store places a derived id on the parent's shard (the child's outcome wakes the parent there).
    const childRunId = req.derived && store.colocatedRunId ? store.colocatedRunId(req.parentRunId, req.childRunId) : req.childRunId;
    const res = await this.d.create(wf, childRunId, req.resourceId, { inputData: req.input }, parent);
    if (!res.created) {
      // A replay finds the child it started; any other run under that id is refused.
      const [run, links] = await Promise.all([
        this.d.storeCall(() => store.loadRun(childRunId)),
        this.d.storeCall(async () => (store.loadLinks ? store.loadLinks(childRunId) : null)),
      ]);
      if (!run || run.workflowId !== wf.id) throw new ChildRunConflictError(childRunId, wf.id, 'a run of another workflow has this id');
      const p = links?.parent;
      const ours = p ? p.runId === parent.runId && p.step === parent.path : run.parentRunId === parent.runId;
      if (!ours) throw new ChildRunConflictError(childRunId, wf.id, 'a run that this call did not start has this id');
    }
    return { workflowId: wf.id, runId: childRunId };
  }

  registerChildWait(req: ChildWaitRequest): Promise<ChildWaitResult> {
    return this.d.storeCall(() => {
      if (!this.d.store.registerChildWait) throw new InvalidArgumentError(`the ${this.d.store.kind} store does not support child runs`);
      return this.d.store.registerChildWait(req);
    });
  }

  /** The registered workflow a step named, by object or id; WORKFLOW_NOT_FOUND when this engine lacks it. */
  private resolve(w: unknown): AnyWorkflow {
    const id = typeof w === 'string' ? w : w !== null && typeof w === 'object' && typeof (w as { id?: unknown }).id === 'string' ? (w as { id: string }).id : undefined;
    if (id === undefined) throw new InvalidArgumentError('startWorkflow needs a workflow (or its id) as its first argument');
    if (this.d.learn && w instanceof Workflow && w.isCommitted) this.d.learn(w);
    const wf = this.d.workflowById(id);
    if (!wf) throw new WorkflowNotFoundError(id);
    return wf;
  }
}
