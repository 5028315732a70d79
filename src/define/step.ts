import { InvalidStepSourceError, WorkflowDefinitionError } from '../errors.js';
import { agentStepConfig, isAgentLike, type AgentLike, type AgentStepOptions } from './agent-step.js';
import {
  classifierStepConfig,
  isClassifierLike,
  type ClassifierLike,
  type ClassifierStepOptions,
  type ClassifierStepOutput,
} from './classifier-step.js';
import { isStandardSchema, type AnySchema, type InferIn, type InferOut, type StandardSchemaV1 } from './schema.js';
import { isToolLike, toolStepConfig, type ToolLike, type ToolStepOptions } from './tool-step.js';
import type { Step, StepComponent, StepConfig } from './types.js';

const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_\-:]*$/;

export function checkId(what: string, id: unknown): asserts id is string {
  if (typeof id !== 'string' || !ID_PATTERN.test(id) || id.length > 200) {
    throw new WorkflowDefinitionError(
      `${what} id must be a non-empty string of letters, digits, "_", "-" or ":" (got ${JSON.stringify(id)})`,
    );
  }
}

function checkSchema(what: string, schema: unknown, required: boolean): void {
  if (schema === undefined && !required) return;
  if (!isStandardSchema(schema)) {
    throw new WorkflowDefinitionError(`${what} must be a Standard Schema value (zod, valibot, arktype, ...)`);
  }
}

const COMPONENTS: ReadonlySet<unknown> = new Set<StepComponent>(['STEP', 'AGENT', 'TOOL', 'CLASSIFIER']);

/** A step made by createStep (of any kind), as opposed to a workflow or anything else. */
export function isStep(value: unknown): value is Step {
  return !!value && typeof value === 'object' && COMPONENTS.has((value as { component?: unknown }).component);
}

/**
 * Defines a step: from a step config, or (as Mastra does) from an agent, a tool or a classifier.
 * Validation of the definition happens here, once, so a bad step fails at import time.
 */
export function createStep<
  TId extends string,
  TInSchema extends AnySchema,
  TOutSchema extends AnySchema,
  TResumeSchema extends AnySchema | undefined = undefined,
  TSuspendSchema extends AnySchema | undefined = undefined,
  TStateSchema extends AnySchema | undefined = undefined,
>(
  config: StepConfig<TId, TInSchema, TOutSchema, TResumeSchema, TSuspendSchema, TStateSchema>,
): Step<TId, InferIn<TInSchema>, InferOut<TOutSchema>>;
/** An agent step with structured output: `{ prompt }` in, the object out. */
export function createStep<TId extends string, TOut>(
  agent: AgentLike<TId>,
  options: AgentStepOptions<TOut> & { structuredOutput: { schema: StandardSchemaV1<any, TOut> } },
): Step<TId, { prompt: string }, TOut>;
/** An agent step: `{ prompt }` in, `{ text }` out. */
export function createStep<TId extends string>(agent: AgentLike<TId>, options?: AgentStepOptions): Step<TId, { prompt: string }, { text: string }>;
/** A tool step: the tool's input schema in, its output schema out. */
export function createStep<TId extends string, TIn, TOut>(tool: ToolLike<TId, TIn, TOut>, options?: ToolStepOptions): Step<TId, TIn, TOut>;
/** A classifier step: any input (the state to classify) in, `{ answers, usage }` out. */
export function createStep<Q extends Readonly<Record<string, { readonly type: string }>>>(
  classifier: ClassifierLike<Q>,
  options?: ClassifierStepOptions,
): Step<string, unknown, ClassifierStepOutput<Q>>;
/** The step-config form again, last, so a mistyped config is reported against it. */
export function createStep<
  TId extends string,
  TInSchema extends AnySchema,
  TOutSchema extends AnySchema,
  TResumeSchema extends AnySchema | undefined = undefined,
  TSuspendSchema extends AnySchema | undefined = undefined,
  TStateSchema extends AnySchema | undefined = undefined,
>(
  config: StepConfig<TId, TInSchema, TOutSchema, TResumeSchema, TSuspendSchema, TStateSchema>,
): Step<TId, InferIn<TInSchema>, InferOut<TOutSchema>>;
export function createStep(source: unknown, options?: unknown): Step {
  // A tool first: its marker is definitive, and a tool object could also carry other methods.
  if (isToolLike(source)) return stepFromTool(source, options as ToolStepOptions | undefined);
  if (isAgentLike(source)) return stepFromAgent(source, options as AgentStepOptions | undefined);
  if (isClassifierLike(source)) return stepFromClassifier(source, options as ClassifierStepOptions | undefined);
  if (!looksLikeStepConfig(source)) {
    throw new InvalidStepSourceError(
      'createStep needs a step config ({ id, inputSchema, outputSchema, execute }), an agent (an object with an id and ' +
        "stream() or generate()), a tool (made by Mastra's createTool) or a classifier (with questions and evaluate())",
    );
  }
  if (options !== undefined) throw new WorkflowDefinitionError(`step "${String(source.id)}": createStep(config) takes no second argument; put the options in the config`);
  return buildStep(source as unknown as StepConfig<string, AnySchema, AnySchema>, 'STEP');
}

/** Anything with a step config's members is validated as one, so a broken config gets a precise error. */
function looksLikeStepConfig(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && ('execute' in v || 'inputSchema' in v || 'outputSchema' in v);
}

/** An agent step; `id` (the builders' `{ id }`) replaces the agent's id as the step id. */
export function stepFromAgent(agent: AgentLike, options?: AgentStepOptions, id?: string): Step {
  const config = agentStepConfig(agent, options, id);
  checkSourceId('agent', config.id, id === undefined ? '.agent(agent, options, { id })' : undefined);
  return buildStep(config, 'AGENT');
}

export function stepFromTool(tool: ToolLike, options?: ToolStepOptions, id?: string): Step {
  const config = toolStepConfig(tool, options, id);
  checkSourceId('tool', config.id, id === undefined ? '.tool(tool, options, { id })' : undefined);
  return buildStep(config, 'TOOL');
}

export function stepFromClassifier(classifier: ClassifierLike, options?: ClassifierStepOptions, id?: string): Step {
  const config = classifierStepConfig(classifier, options, id);
  checkSourceId('classifier', config.id, options?.id === undefined && id === undefined ? 'the option { id }' : undefined);
  return buildStep(config, 'CLASSIFIER');
}

/** An agent's or tool's own id becomes the step id (a journal key), so it must be one. */
function checkSourceId(kind: string, id: unknown, hint: string | undefined): void {
  try {
    checkId('step', id);
  } catch (err) {
    const how = hint ? `; give the step an id with ${hint}` : '';
    throw new InvalidStepSourceError(`${kind} ${(err as Error).message}${how}`);
  }
}

function buildStep(config: StepConfig<string, AnySchema, AnySchema, any, any, any>, component: StepComponent): Step {
  if (!config || typeof config !== 'object') throw new WorkflowDefinitionError('createStep needs a config object');
  checkId('step', config.id);
  const where = `step "${config.id}"`;
  checkSchema(`${where}: inputSchema`, config.inputSchema, true);
  checkSchema(`${where}: outputSchema`, config.outputSchema, true);
  checkSchema(`${where}: resumeSchema`, config.resumeSchema, false);
  checkSchema(`${where}: suspendSchema`, config.suspendSchema, false);
  checkSchema(`${where}: stateSchema`, config.stateSchema, false);
  if (typeof config.execute !== 'function') throw new WorkflowDefinitionError(`${where}: execute must be a function`);
  if (config.retries !== undefined && !(Number.isInteger(config.retries) && config.retries >= 0)) {
    throw new WorkflowDefinitionError(`${where}: retries must be a non-negative integer`);
  }
  if (config.timeoutMs !== undefined && !(Number.isFinite(config.timeoutMs) && config.timeoutMs > 0)) {
    throw new WorkflowDefinitionError(`${where}: timeoutMs must be a positive number`);
  }
  return Object.freeze({
    component,
    id: config.id,
    description: config.description,
    inputSchema: config.inputSchema,
    outputSchema: config.outputSchema,
    resumeSchema: config.resumeSchema,
    suspendSchema: config.suspendSchema,
    stateSchema: config.stateSchema,
    retries: config.retries,
    timeoutMs: config.timeoutMs,
    metadata: config.metadata,
    execute: config.execute as Step['execute'],
  });
}
