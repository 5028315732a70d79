import { agentInputSchema, anySchema, textOutputSchema } from './builtin-schemas.js';
import { AgentOutputError, AgentTripwireError, InvalidStepSourceError } from '../errors.js';
import { mastraRequestContext } from './mastra-request-context.js';
import { isStandardSchema, type AnySchema, type StandardSchemaV1 } from './schema.js';
import type { StepConfig, StepContext } from './types.js';

/**
 * Agents as steps (Mastra's `createStep(agent, options)` and `workflow.agent()`): the step takes
 * `{ prompt: string }`, calls the agent, forwards every chunk of the agent's stream into the run's
 * stream (`workflow-step-output` events, as Mastra does) and returns `{ text }`, or the object when
 * `structuredOutput` is given.
 *
 * An agent is recognised by its public interface, so weft needs no runtime dependency on
 * @mastra/core: an object with an `id` (or a `name`) and a `stream` or `generate` method, and no
 * `execute` (that would make it a step config or a tool).
 *
 * Durability: the step is a step like any other. Its output is journaled when the agent finishes, so
 * a recovered run replays it and never calls the model again; the model call of an agent step that
 * had not finished when its process died is made again (at-least-once, like any step). Streamed chunks
 * are live events only: they are not journaled and not replayed.
 */

interface AgentBase<TId extends string> {
  readonly id: TId;
  readonly name?: string;
  getDescription?(): string | undefined;
  streamLegacy?(prompt: any, options?: any): any;
  getModel?(options?: any): any;
}

/** What weft needs of an agent (Mastra's `Agent` has all of it): `stream` or `generate`, or both. */
export type AgentLike<TId extends string = string> = AgentBase<TId> &
  ({ stream(prompt: any, options?: any): any } | { generate(prompt: any, options?: any): any });

/**
 * Options of an agent step. Everything that is not the step's own (`structuredOutput`, `retries`,
 * `timeoutMs`, `metadata`) is passed to the agent's `stream`/`generate` call as it is: `instructions`,
 * `temperature`, `maxSteps`, `onChunk`, `onFinish`, ...
 */
export interface AgentStepOptions<TOut = unknown> {
  /** Ask the agent for an object of this schema: the object becomes the step's output. */
  structuredOutput?: { schema: StandardSchemaV1<any, TOut>; [option: string]: unknown };
  /** Called with the agent's finish result. If it throws, the step fails with that error. */
  onFinish?: (result: any) => unknown;
  retries?: number;
  timeoutMs?: number;
  metadata?: Record<string, unknown>;
  [option: string]: unknown;
}


export function isAgentLike(value: unknown): value is AgentLike {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  const named = typeof v.id === 'string' || typeof v.name === 'string';
  return named && (typeof v.stream === 'function' || typeof v.generate === 'function') && typeof v.execute !== 'function';
}

/** The step config of an agent step; `id` overrides the agent's id (the builders' `{ id }`). */
export function agentStepConfig(agent: AgentLike, options: AgentStepOptions = {}, id?: string): StepConfig<string, AnySchema, AnySchema> {
  if (options === null || typeof options !== 'object') throw new InvalidStepSourceError('agent step options must be an object');
  const stepId = id ?? (typeof agent.id === 'string' ? agent.id : String(agent.name));
  const { structuredOutput, retries, timeoutMs, metadata, ...callOptions } = options;
  if (structuredOutput !== undefined && (!structuredOutput || typeof structuredOutput !== 'object' || !structuredOutput.schema)) {
    throw new InvalidStepSourceError(`agent step "${stepId}": structuredOutput needs a schema ({ schema })`);
  }
  const schema = structuredOutput?.schema;
  return {
    id: stepId,
    description: describe(agent),
    inputSchema: agentInputSchema(),
    // A structuredOutput schema that is not a Standard Schema (a JSON Schema) is checked by the agent.
    outputSchema: schema === undefined ? textOutputSchema() : isStandardSchema(schema) ? schema : anySchema(),
    retries,
    timeoutMs,
    metadata,
    execute: (ctx) => runAgent(agent, stepId, callOptions, structuredOutput, ctx),
  };
}

function describe(agent: AgentLike): string | undefined {
  const d = typeof agent.getDescription === 'function' ? agent.getDescription() : (agent as { description?: unknown }).description;
  return typeof d === 'string' && d !== '' ? d : undefined;
}

/** What an agent call left behind: the finish result (through onFinish) and the reply object. */
interface Finish {
  result?: { text?: unknown; object?: unknown };
  callbackError?: { error: unknown };
}

async function runAgent(
  agent: AgentLike,
  stepId: string,
  callOptions: Record<string, unknown>,
  structuredOutput: AgentStepOptions['structuredOutput'],
  ctx: StepContext,
): Promise<unknown> {
  const prompt = (ctx.inputData as { prompt: string }).prompt;
  const finish: Finish = {};
  const userOnFinish = callOptions.onFinish;
  const options = {
    ...callOptions,
    ...(structuredOutput ? { structuredOutput } : {}),
    requestContext: mastraRequestContext(ctx.requestContext),
    abortSignal: ctx.abortSignal,
    // Wrapped to see the finish result (the structured object arrives here); the user's callback
    // still runs, and its error fails the step instead of vanishing inside the agent.
    onFinish: async (result: Finish['result']) => {
      finish.result = result;
      if (typeof userOnFinish !== 'function') return;
      try {
        await userOnFinish(result);
      } catch (error) {
        finish.callbackError ??= { error };
      }
    },
  };

  const reply = await callAgent(agent, stepId, prompt, options, ctx);
  if (ctx.abortSignal.aborted) throw ctx.abortSignal.reason ?? new Error(`agent step "${stepId}" was aborted`);
  if (finish.callbackError) throw finish.callbackError.error;

  if (structuredOutput) {
    const object = finish.result?.object ?? (await reply.object?.());
    if (object === undefined || object === null) throw new AgentOutputError(stepId, 'no object in the finish result');
    return object;
  }
  const text = finish.result?.text ?? (await reply.text());
  return { text: typeof text === 'string' ? text : reply.streamedText };
}

interface Reply {
  text(): Promise<unknown>;
  object?: () => Promise<unknown>;
  /** The text deltas seen in the stream: the text when the agent reports none. */
  streamedText: string;
}

/**
 * Streams when the agent can (so its chunks reach the run's stream as they are generated), with
 * `streamLegacy` for an AI SDK v1 model as Mastra does; `generate` for an agent without `stream`.
 */
async function callAgent(agent: AgentLike, stepId: string, prompt: string, options: Record<string, unknown>, ctx: StepContext): Promise<Reply> {
  const a = agent as AgentLike & { stream?: (p: unknown, o: unknown) => any; generate?: (p: unknown, o: unknown) => any };
  const legacy = await usesLegacyModel(agent, ctx);
  if (!legacy && typeof a.stream !== 'function') {
    const out = await a.generate!(prompt, options);
    return { text: async () => out?.text, object: async () => out?.object, streamedText: '' };
  }
  const out = legacy ? await agent.streamLegacy!(prompt, options) : await a.stream!(prompt, options);
  const streamedText = await forwardChunks(out?.fullStream, stepId, ctx);
  return {
    text: async () => out?.text,
    object: async () => {
      try {
        return await out?.object;
      } catch {
        return undefined; // no object: reported as AgentOutputError by the caller
      }
    },
    streamedText,
  };
}

async function usesLegacyModel(agent: AgentLike, ctx: StepContext): Promise<boolean> {
  if (typeof agent.streamLegacy !== 'function' || typeof agent.getModel !== 'function') return false;
  const model = await agent.getModel({ requestContext: mastraRequestContext(ctx.requestContext) });
  return (model as { specificationVersion?: unknown } | undefined)?.specificationVersion === 'v1';
}

/**
 * Writes every chunk to the step's writer as it arrives (a `workflow-step-output` event each). A
 * tripwire chunk (a processor aborted the call) or an error chunk fails the step.
 */
async function forwardChunks(fullStream: unknown, stepId: string, ctx: StepContext): Promise<string> {
  if (!fullStream || typeof (fullStream as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') {
    throw new TypeError(`agent step "${stepId}": the agent's stream() result has no fullStream to read`);
  }
  let text = '';
  let failure: { error: unknown } | undefined;
  for await (const chunk of fullStream as AsyncIterable<unknown>) {
    const c = (chunk ?? {}) as { type?: unknown; payload?: Record<string, unknown>; error?: unknown };
    if (c.type === 'tripwire') throw new AgentTripwireError(stepId, (c.payload ?? {}) as ConstructorParameters<typeof AgentTripwireError>[1]);
    if (c.type === 'error') failure ??= { error: c.payload?.error ?? c.error ?? new Error(`agent step "${stepId}": the agent's stream reported an error`) };
    text += textDelta(c);
    await ctx.writer.write(chunk);
  }
  if (failure) throw failure.error;
  return text;
}

/** The text of a text-delta chunk in Mastra's format (`payload.text`) or the AI SDK's (`textDelta`, `text`, `delta`). */
function textDelta(c: { type?: unknown; payload?: Record<string, unknown> } & Record<string, unknown>): string {
  if (c.type !== 'text-delta') return '';
  const t = c.payload?.text ?? c.textDelta ?? c.text ?? c.delta;
  return typeof t === 'string' ? t : '';
}
