/**
 * Duck-typed stand-ins for Mastra's Agent, Tool and Classifier: objects with the public interface weft
 * recognises, driven by a scripted fake model. They let weft's own tests cover agent/tool steps
 * without @mastra/core (the real classes are tested in compat/).
 */

/** One model call: the text it streams (in deltas), an object for structured output, or a failure. */
export interface Turn {
  deltas?: string[];
  object?: unknown;
  /** Emits an error chunk after the deltas (the model failed mid-stream). */
  errorChunk?: string;
  /** Emits a tripwire chunk instead of text (a processor aborted the call). */
  tripwire?: { reason: string; retry?: boolean; metadata?: unknown; processorId?: string };
  /** Throws from the call itself. */
  throws?: string;
  /** Awaited before each delta after the first: lets a test hold the model mid-stream. */
  gate?: () => Promise<void>;
}

/** A model that answers calls from a script, one turn per call (the last turn repeats). */
export class ScriptedModel {
  readonly specificationVersion: 'v2' | 'v1';
  calls = 0;
  constructor(
    private readonly turns: Turn[],
    version: 'v2' | 'v1' = 'v2',
  ) {
    this.specificationVersion = version;
  }
  next(): Turn {
    const turn = this.turns[Math.min(this.calls, this.turns.length - 1)]!;
    this.calls++;
    return turn;
  }
}

export interface AgentCall {
  method: 'stream' | 'streamLegacy' | 'generate';
  prompt: unknown;
  options: Record<string, any>;
}

interface AgentInit {
  id: string;
  name?: string;
  description?: string;
  model: ScriptedModel;
}

/** Mastra's chunk shape (`{ type, runId, from, payload }`). */
const chunk = (type: string, payload: Record<string, unknown> = {}) => ({ type, runId: 'agent-run', from: 'AGENT', payload });

/** An agent with `stream` (and `generate`), emitting the chunk sequence Mastra's Agent emits. */
export class FakeAgent {
  readonly id: string;
  readonly name: string;
  readonly calls: AgentCall[] = [];
  readonly model: ScriptedModel;
  private readonly description?: string;

  constructor(init: AgentInit) {
    this.id = init.id;
    this.name = init.name ?? init.id;
    this.description = init.description;
    this.model = init.model;
  }

  getDescription(): string {
    return this.description ?? '';
  }

  getModel(): ScriptedModel {
    return this.model;
  }

  async generate(prompt: unknown, options: Record<string, any> = {}) {
    this.calls.push({ method: 'generate', prompt, options });
    const turn = this.model.next();
    if (turn.throws) throw new Error(turn.throws);
    const result = { text: (turn.deltas ?? []).join(''), object: turn.object };
    await options.onFinish?.(result);
    return result;
  }

  async stream(prompt: unknown, options: Record<string, any> = {}) {
    this.calls.push({ method: 'stream', prompt, options });
    return this.streamTurn(this.model.next(), options, 'v2');
  }

  /** Only used for a v1 model, as Mastra's agent step does; chunks in the AI SDK v4 shape. */
  async streamLegacy(prompt: unknown, options: Record<string, any> = {}) {
    this.calls.push({ method: 'streamLegacy', prompt, options });
    return this.streamTurn(this.model.next(), options, 'v1');
  }

  private streamTurn(turn: Turn, options: Record<string, any>, shape: 'v1' | 'v2') {
    if (turn.throws) throw new Error(turn.throws);
    const text = (turn.deltas ?? []).join('');
    let resolveText!: (t: string) => void;
    const textPromise = new Promise<string>((r) => (resolveText = r));
    const signal: AbortSignal | undefined = options.abortSignal;
    async function* fullStream() {
      if (shape === 'v2') yield* [chunk('start'), chunk('step-start')];
      if (turn.tripwire) {
        yield chunk('tripwire', turn.tripwire);
        return;
      }
      if (shape === 'v2') yield chunk('text-start', { id: 't1' });
      for (const [i, delta] of (turn.deltas ?? []).entries()) {
        if (i > 0 && turn.gate) await Promise.race([turn.gate(), aborted(signal)]);
        if (signal?.aborted) throw signal.reason ?? new Error('aborted');
        const c = shape === 'v2' ? chunk('text-delta', { id: 't1', text: delta }) : { type: 'text-delta', textDelta: delta };
        options.onChunk?.(c);
        yield c;
      }
      if (turn.errorChunk) {
        yield shape === 'v2' ? chunk('error', { error: new Error(turn.errorChunk) }) : { type: 'error', error: new Error(turn.errorChunk) };
        return;
      }
      const finish = { text, object: turn.object, finishReason: 'stop' };
      await options.onFinish?.(finish);
      resolveText(text);
      if (shape === 'v2') yield* [chunk('text-end', { id: 't1' }), chunk('step-finish'), chunk('finish', { finishReason: 'stop' })];
      else yield { type: 'finish', finishReason: 'stop' };
    }
    return { fullStream: fullStream(), text: textPromise };
  }
}

function aborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => {});
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

/** An agent that can only `generate` (no stream): its step works, with nothing streamed. */
export function generateOnlyAgent(id: string, model: ScriptedModel) {
  const full = new FakeAgent({ id, model });
  return { id, calls: full.calls, generate: full.generate.bind(full) };
}

/** Mastra's tool marker: how weft (and Mastra) recognise a tool object. */
export const TOOL_MARKER = Symbol.for('mastra.core.tool.Tool');

/**
 * A tool that behaves like one made by Mastra's createTool: it validates its input (unless resuming)
 * and output with its schemas and *returns* a failure object instead of throwing.
 */
export function fakeTool<TIn, TOut>(def: {
  id: string;
  description?: string;
  inputSchema: import('@standard-schema/spec').StandardSchemaV1<TIn, TIn>;
  outputSchema: import('@standard-schema/spec').StandardSchemaV1<TOut, TOut>;
  suspendSchema?: import('@standard-schema/spec').StandardSchemaV1;
  resumeSchema?: import('@standard-schema/spec').StandardSchemaV1;
  execute: (input: TIn, context: any) => Promise<TOut | undefined>;
}) {
  const check = (kind: 'input' | 'output', schema: import('@standard-schema/spec').StandardSchemaV1, value: unknown) => {
    const r = schema['~standard'].validate(value);
    if (r instanceof Promise) throw new Error('async schema');
    if (!r.issues) return undefined;
    const fields: Record<string, { errors: string[]; fields: object }> = {};
    for (const i of r.issues) {
      const key = (i.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.') || '_';
      fields[key] = { errors: [i.message], fields: {} };
    }
    return { error: true, message: `Tool ${kind} validation failed for ${def.id}.\nmore detail`, validationErrors: { errors: [], fields } };
  };
  return {
    [TOOL_MARKER]: true,
    id: def.id,
    description: def.description ?? `${def.id} tool`,
    inputSchema: def.inputSchema,
    outputSchema: def.outputSchema,
    suspendSchema: def.suspendSchema,
    resumeSchema: def.resumeSchema,
    execute: async (input: TIn, context: any) => {
      const resuming = context?.workflow?.resumeData != null;
      const bad = resuming ? undefined : check('input', def.inputSchema, input);
      if (bad) return bad as never;
      const out = await def.execute(input, context);
      if (out === undefined) return out as TOut; // suspended: Mastra skips output validation
      return (check('output', def.outputSchema, out) as never) ?? out;
    },
  };
}
