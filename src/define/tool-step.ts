import { InvalidStepSourceError, ToolValidationError, type ValidationIssue } from '../errors.js';
import { mastraRequestContext } from './mastra-request-context.js';
import { isStandardSchema, type AnySchema, type StandardSchemaV1 } from './schema.js';
import type { StepConfig, StepContext } from './types.js';

/**
 * Tools as steps (Mastra's `createStep(tool)` and `workflow.tool()`). The tool gets what Mastra gives
 * it: the step's input as its first argument and a tool context as its second (`requestContext`,
 * `abortSignal`, `resumeData`, and `workflow: { runId, workflowId, state, setState, suspend,
 * resumeData }`). A Mastra tool validates its own input and output and *returns* a failure
 * (`{ error: true, message, validationErrors }`) instead of throwing; the step turns that into a
 * ToolValidationError, so the step fails instead of succeeding with the failure as its output.
 *
 * A tool is recognised the way Mastra recognises one across copies of its module: by the marker
 * `Symbol.for('mastra.core.tool.Tool')` that `createTool` / `new Tool` set. A plain object with
 * `id`, schemas and `execute` is a step config, whose `execute` receives the step context.
 */
export const TOOL_MARKER: unique symbol = Symbol.for('mastra.core.tool.Tool') as never;

/** The failure a Mastra tool returns instead of throwing. */
export interface ToolFailureLike {
  error: true;
  message: string;
  validationErrors?: unknown;
}

/**
 * What weft needs of a tool (Mastra's `Tool` has it). `execute` is typed by the schemas (the input in,
 * the output, a returned failure or nothing out), so a step config whose execute returns the wrong
 * thing does not pass for a tool: it falls through to createStep's step-config overload and its error.
 */
export interface ToolLike<TId extends string = string, TIn = any, TOut = any> {
  readonly id: TId;
  readonly description?: string;
  readonly inputSchema?: StandardSchemaV1<TIn, any>;
  readonly outputSchema?: StandardSchemaV1<any, TOut>;
  readonly suspendSchema?: AnySchema;
  readonly resumeSchema?: AnySchema;
  readonly execute?: (input: TIn, context: any) => Promise<NoInfer<TOut> | ToolFailureLike | void> | NoInfer<TOut> | ToolFailureLike | void;
}

/** The step's own options (Mastra's `scorers` and `actor` are accepted and not used: weft has neither). */
export interface ToolStepOptions {
  retries?: number;
  timeoutMs?: number;
  metadata?: Record<string, unknown>;
  scorers?: unknown;
  actor?: unknown;
}

export function isToolLike(value: unknown): value is ToolLike {
  return !!value && typeof value === 'object' && TOOL_MARKER in value;
}

/** The step config of a tool step; `id` overrides the tool's id (the builders' `{ id }`). */
export function toolStepConfig(tool: ToolLike, options: ToolStepOptions = {}, id?: string): StepConfig<string, AnySchema, AnySchema, any, any> {
  if (options === null || typeof options !== 'object') throw new InvalidStepSourceError('tool step options must be an object');
  const stepId = id ?? tool.id;
  const where = `tool "${String(tool.id)}"`;
  if (typeof tool.execute !== 'function') throw new InvalidStepSourceError(`${where} has no execute function, so it cannot be a step`);
  if (!isStandardSchema(tool.inputSchema) || !isStandardSchema(tool.outputSchema)) {
    throw new InvalidStepSourceError(`${where} needs an inputSchema and an outputSchema to be a step`);
  }
  const execute = tool.execute.bind(tool) as (input: unknown, context: unknown) => unknown;
  return {
    id: stepId,
    description: tool.description || undefined,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema,
    resumeSchema: tool.resumeSchema,
    suspendSchema: tool.suspendSchema,
    retries: options.retries,
    timeoutMs: options.timeoutMs,
    metadata: options.metadata,
    execute: async (ctx) => {
      const out = await execute(ctx.inputData, toolContext(ctx));
      const failure = validationFailure(out);
      if (failure) throw new ToolValidationError(String(tool.id), failure.what, failure.message, failure.issues);
      return out;
    },
  };
}

/** The context Mastra gives a tool run by a workflow step (the request context in the shape Mastra uses). */
function toolContext(ctx: StepContext): Record<string, unknown> {
  const { runId, workflowId, state, setState, suspend, resumeData } = ctx;
  return {
    requestContext: mastraRequestContext(ctx.requestContext),
    abortSignal: ctx.abortSignal,
    resumeData,
    // The payload the step suspended with, once the step context carries it on resume.
    suspendPayload: (ctx as { suspendData?: unknown }).suspendData,
    workflow: { runId, workflowId, state, setState, suspend, resumeData },
  };
}

interface Failure {
  what: string;
  message: string;
  issues: ValidationIssue[];
}

/** Mastra's returned validation failure: `{ error: true, message, validationErrors }`. */
function validationFailure(out: unknown): Failure | undefined {
  if (!out || typeof out !== 'object') return undefined;
  const o = out as { error?: unknown; message?: unknown; validationErrors?: unknown };
  if (o.error !== true || !('validationErrors' in o)) return undefined;
  const message = typeof o.message === 'string' ? o.message : 'validation failed';
  return { what: kindOf(message), message: message.split('\n')[0] ?? message, issues: issuesOf(o.validationErrors) };
}

/** Which data failed, from Mastra's message ("Tool input validation failed for ..."). */
function kindOf(message: string): string {
  if (/^tool input/i.test(message)) return 'input';
  if (/^tool output/i.test(message)) return 'output';
  if (/^tool suspension/i.test(message)) return 'suspend payload';
  if (/^request context/i.test(message)) return 'request context';
  return 'data';
}

/** Flattens Mastra's nested `{ errors: string[], fields: { key: {...} } }` into weft's issue list. */
function issuesOf(v: unknown, path = '', depth = 0): ValidationIssue[] {
  if (!v || typeof v !== 'object' || depth > 32) return [];
  const node = v as { errors?: unknown; fields?: unknown };
  const out: ValidationIssue[] = [];
  if (Array.isArray(node.errors)) for (const m of node.errors) out.push({ path, message: String(m) });
  if (node.fields && typeof node.fields === 'object') {
    for (const [k, sub] of Object.entries(node.fields)) out.push(...issuesOf(sub, path ? `${path}.${k}` : k, depth + 1));
  }
  return out;
}
