import { throttlesOf } from './admission.js';
import { bindRuntime, unbindRuntime, type WorkflowRuntime } from '../define/runtime.js';
import { Workflow, type AnyWorkflow } from '../define/workflow.js';
import { checkId } from '../domain/ids.js';
import { InvalidArgumentError, WorkflowNotFoundError } from '../errors.js';
import { parseSchedule } from '../worker/cron.js';
import { fingerprintOf } from './fingerprint.js';
import { watchesOutcomes } from './lifecycle.js';

/**
 * The workflows one engine knows, by registry key and by workflow id. Registering binds the workflow
 * object to the engine's runtime (so `workflow.createRun()` goes there); the default in-memory engine
 * does not bind, it is only the fallback for workflows no engine has.
 */
export class WorkflowRegistry {
  private readonly byKey = new Map<string, AnyWorkflow>();
  private readonly byId = new Map<string, AnyWorkflow>();
  /**
   * Every registered version of a workflow id, oldest first. Runs continue on the version whose graph
   * fingerprint they were started with; new runs start on the newest (the last registered), byId's.
   */
  private readonly versions = new Map<string, AnyWorkflow[]>();

  constructor(
    private readonly runtime: WorkflowRuntime,
    private readonly binds: boolean,
  ) {}

  register(key: string, wf: AnyWorkflow): void {
    checkId(key, 'workflow key');
    if (!(wf instanceof Workflow)) throw new InvalidArgumentError(`workflows.${key} is not a workflow made by createWorkflow`);
    if (!wf.isCommitted) throw new InvalidArgumentError(`workflow "${wf.id}" must be committed before it is registered`);
    if (wf.schedule) parseSchedule(wf.id, wf.schedule);
    if (this.binds) bindRuntime(wf, this.runtime);
    this.byKey.set(key, wf);
    this.byId.set(wf.id, wf);
    // Another version of a registered id sits next to it; the same version (or none) replaces it.
    const list = (this.versions.get(wf.id) ?? []).filter((v) => v !== wf && !(v.version === wf.version));
    list.push(wf);
    this.versions.set(wf.id, list);
  }

  /**
   * The definition a stored run continues on: the registered version it started with (same graph
   * fingerprint), else the newest. A run whose journal does not fit that one is parked by the executor.
   */
  forRun(workflowId: string, fingerprint: string | null): AnyWorkflow | undefined {
    const list = this.versions.get(workflowId);
    if (fingerprint !== null && list && list.length > 1) {
      const same = list.find((v) => fingerprintOf(v) === fingerprint);
      if (same) return same;
    }
    return this.byId.get(workflowId);
  }

  /** Every registered version of a workflow id, oldest first (empty when not registered). */
  versionsOf(workflowId: string): AnyWorkflow[] {
    return [...(this.versions.get(workflowId) ?? [])];
  }

  /** By registry key, then by workflow id. */
  get(key: string): AnyWorkflow {
    const wf = this.byKey.get(key) ?? this.byId.get(key);
    if (!wf) throw new WorkflowNotFoundError(key);
    return wf;
  }

  byWorkflowId(id: string): AnyWorkflow | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  entries(): Record<string, AnyWorkflow> {
    return Object.fromEntries(this.byKey);
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  /** Concurrency limits of the registered workflows, by workflow id. */
  limits(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, wf] of this.byId) if (wf.concurrency) out[id] = wf.concurrency.limit;
    return out;
  }

  /** Throttles (throttle, or rateLimit with queue) of the registered workflows, by workflow id. */
  throttles(): Record<string, { limit: number; periodMs: number }> {
    return throttlesOf(this.byId);
  }

  /** Ids of the registered workflows with onFinish/onError/onFailure (workers look for their held runs). */
  withOutcomeCallbacks(): string[] {
    const out: string[] = [];
    for (const [id, wf] of this.byId) if (watchesOutcomes(wf)) out.push(id);
    return out;
  }

  /** The registered workflows with a retention policy (workers prune their finished runs). */
  withRetention(): AnyWorkflow[] {
    return [...this.byId.values()].filter((wf) => wf.operations.retention !== undefined);
  }

  scheduled(): AnyWorkflow[] {
    return [...this.byId.values()].filter((wf) => wf.schedule !== undefined);
  }

  /** Releases every workflow so another engine may take it (the engine stopped). */
  unbindAll(): void {
    for (const wf of this.byId.values()) unbindRuntime(wf, this.runtime);
  }
}
