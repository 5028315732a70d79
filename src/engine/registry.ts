import { throttlesOf } from './admission.js';
import { hasOutcomeCallbacks } from '../define/lifecycle.js';
import { bindRuntime, unbindRuntime, type WorkflowRuntime } from '../define/runtime.js';
import { Workflow, type AnyWorkflow } from '../define/workflow.js';
import { checkId } from '../domain/ids.js';
import { InvalidArgumentError, WorkflowNotFoundError } from '../errors.js';
import { parseSchedule } from '../worker/cron.js';

/**
 * The workflows one engine knows, by registry key and by workflow id. Registering binds the workflow
 * object to the engine's runtime (so `workflow.createRun()` goes there); the default in-memory engine
 * does not bind, it is only the fallback for workflows no engine has.
 */
export class WorkflowRegistry {
  private readonly byKey = new Map<string, AnyWorkflow>();
  private readonly byId = new Map<string, AnyWorkflow>();

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

  /** Ids of the registered workflows with onFinish/onError (workers look for their held runs). */
  withOutcomeCallbacks(): string[] {
    const out: string[] = [];
    for (const [id, wf] of this.byId) if (hasOutcomeCallbacks(wf.lifecycle)) out.push(id);
    return out;
  }

  scheduled(): AnyWorkflow[] {
    return [...this.byId.values()].filter((wf) => wf.schedule !== undefined);
  }

  /** Releases every workflow so another engine may take it (the engine stopped). */
  unbindAll(): void {
    for (const wf of this.byId.values()) unbindRuntime(wf, this.runtime);
  }
}
