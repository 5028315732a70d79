import { WorkflowDefinitionError } from '../errors.js';
import { checkTriggers, type EventTrigger } from './events.js';
import { flowControlOf, type FlowControl, type FlowControlConfig } from './flow-control.js';
import { lifecycleOf, type LifecycleOptions } from './lifecycle.js';
import { operationsOf, type ResolvedOperations, type RetentionPolicy } from './operations.js';
import { isStandardSchema, type AnySchema, type InferIn, type InferOut } from './schema.js';
import { checkId } from './step.js';
import type { RetryConfig } from './types.js';

export interface WorkflowConfig<
  TId extends string,
  TInSchema extends AnySchema,
  TOutSchema extends AnySchema,
  TStateSchema extends AnySchema | undefined,
> extends FlowControlConfig<InferOut<TInSchema>> {
  id: TId;
  /**
   * The version of this definition (letters, digits, `.`, `_`, `-`; at most 32): shown with the runs
   * that started on it and part of its graph fingerprint. Two versions of one id may be registered at
   * once; each run continues on the version it started with (docs/operations.md, upgrading).
   */
  version?: string | number;
  description?: string;
  inputSchema: TInSchema;
  outputSchema: TOutSchema;
  stateSchema?: TStateSchema;
  retryConfig?: RetryConfig;
  /**
   * `validateInputs` (default true): validate the workflow input, initialState, resume data, step and
   * nested-workflow inputs, suspend payloads and setState against their schemas. The run's root
   * workflow decides for every workflow nested in it (as in Mastra). `validateOutputs` (default false):
   * validate step outputs too. And the lifecycle callbacks (define/lifecycle.ts).
   */
  options?: { validateInputs?: boolean; validateOutputs?: boolean } & LifecycleOptions;
  /** Flow control: at most `limit` runs at once, per `key(input)` when given. */
  concurrency?: { limit: number; key?: (input: InferOut<TInSchema>) => string };
  /** Higher runs first when workers pick runs from the store. */
  priority?: number;
  /** Cron schedule (see docs/operations.md). */
  schedule?: { cron: string; timezone?: string; inputData?: InferIn<TInSchema> };
  metadata?: Record<string, unknown>;
  /** Events that start a run of this workflow (see docs/concepts.md, Events). */
  triggers?: EventTrigger[];
  /**
   * Run metadata keys (from the start's `metadata`) that listings can filter on through an index
   * (docs/operations.md, "Search"). A run's tags are always searchable.
   */
  searchable?: readonly string[];
  /** How long finished runs are kept per outcome, e.g. `{ success: '7d', failed: '30d' }` (workers prune). */
  retention?: RetentionPolicy;
  /** The id of a workflow started (durably, once) with `{ runId, workflowId, error, input }` when a run fails for good. */
  onFailure?: string;
}

/** What a workflow version may look like: short, and safe in a fingerprint, a URL and a log line. */
const VERSION = /^[A-Za-z0-9._-]{1,32}$/;

/** The parts of a workflow config that are checked or completed with defaults (see resolveWorkflowConfig). */
export interface ResolvedWorkflowConfig {
  /** The declared version (a number is kept as its decimal text), or undefined. */
  version?: string;
  retryConfig: Required<Pick<RetryConfig, 'attempts' | 'delay'>> & RetryConfig;
  options: { validateInputs: boolean; validateOutputs: boolean };
  lifecycle: Readonly<LifecycleOptions>;
  flow: FlowControl;
  triggers: EventTrigger[];
  operations: ResolvedOperations;
}

/**
 * Checks a workflow config, in a fixed order (the first problem found is the one thrown, as a
 * WorkflowDefinitionError naming the workflow), and resolves the parts that get defaults.
 */
export function resolveWorkflowConfig(config: WorkflowConfig<string, AnySchema, AnySchema, AnySchema | undefined>): ResolvedWorkflowConfig {
  if (!config || typeof config !== 'object') throw new WorkflowDefinitionError('createWorkflow needs a config object');
  checkId('workflow', config.id);
  const where = `workflow "${config.id}"`;
  if (!isStandardSchema(config.inputSchema)) throw new WorkflowDefinitionError(`${where}: inputSchema must be a Standard Schema value`);
  if (!isStandardSchema(config.outputSchema)) throw new WorkflowDefinitionError(`${where}: outputSchema must be a Standard Schema value`);
  if (config.stateSchema !== undefined && !isStandardSchema(config.stateSchema)) {
    throw new WorkflowDefinitionError(`${where}: stateSchema must be a Standard Schema value`);
  }
  const rc = config.retryConfig ?? {};
  if (rc.attempts !== undefined && !(Number.isInteger(rc.attempts) && rc.attempts >= 0)) {
    throw new WorkflowDefinitionError(`${where}: retryConfig.attempts must be a non-negative integer`);
  }
  if (rc.delay !== undefined && !(Number.isFinite(rc.delay) && rc.delay >= 0)) {
    throw new WorkflowDefinitionError(`${where}: retryConfig.delay must be a non-negative number of ms`);
  }
  if (config.concurrency !== undefined) {
    const c = config.concurrency;
    if (!c || !(Number.isInteger(c.limit) && c.limit > 0) || (c.key !== undefined && typeof c.key !== 'function')) {
      throw new WorkflowDefinitionError(`${where}: concurrency must be { limit: positive integer, key?: (input) => string }`);
    }
  }
  let version: string | undefined;
  if (config.version !== undefined) {
    const v = typeof config.version === 'number' && Number.isFinite(config.version) ? String(config.version) : config.version;
    if (typeof v !== 'string' || !VERSION.test(v)) {
      throw new WorkflowDefinitionError(`${where}: version must be a string of letters, digits, ".", "_" or "-" (at most 32), or a number`);
    }
    version = v;
  }
  const resolved: ResolvedWorkflowConfig = {
    retryConfig: { ...rc, attempts: rc.attempts ?? 0, delay: rc.delay ?? 0 },
    options: { validateInputs: config.options?.validateInputs ?? true, validateOutputs: config.options?.validateOutputs ?? false },
    lifecycle: lifecycleOf(where, config.options),
    flow: flowControlOf(where, config),
    triggers: checkTriggers(where, config.triggers),
    operations: operationsOf(where, config),
  };
  if (version !== undefined) resolved.version = version;
  return resolved;
}
