/**
 * Agents, tools and classifiers as weft steps, with Mastra's real classes: `Agent` (on mock language
 * models), `createTool` and `Classifier`. weft recognises them by their public interface; these tests
 * check that the real classes fit that interface and behave as Mastra's own engine has them behave.
 *
 * Needs: @mastra/core@1.71.0, ai@5 (MockLanguageModelV2 from ai/test), zod@4, vitest@3, and weft.
 * The AI SDK v1 model (the streamLegacy path) is a hand-written object, so ai@4 is not needed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '@mastra/core/agent';
import { Classifier } from '@mastra/core/classifier';
import { createTool } from '@mastra/core/tools';
import { MockLanguageModelV2, convertArrayToReadableStream } from 'ai/test';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createStep, createWorkflow, sqliteStore, Weft, type WorkflowEvent } from 'weft';
import { z } from 'zod';

const dir = mkdtempSync(join(tmpdir(), 'weft-real-agents-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const wefts: Weft[] = [];
afterEach(async () => {
  await Promise.all(wefts.splice(0).map((w) => w.stop({ timeoutMs: 200 })));
});

let seq = 0;
const uid = (p: string) => `${p}-${++seq}`;

/** A v2 model streaming `deltas` as text (Mastra's agent stream turns these into its chunks). */
function textModel(deltas: string[], spy?: (options: any) => void) {
  return new MockLanguageModelV2({
    doStream: async (options: any) => {
      spy?.(options);
      return {
        stream: convertArrayToReadableStream([
          { type: 'stream-start', warnings: [] },
          { type: 'response-metadata', id: 'id-0', modelId: 'mock-model-id', timestamp: new Date(0) },
          { type: 'text-start', id: 't1' },
          ...deltas.map((delta) => ({ type: 'text-delta' as const, id: 't1', delta })),
          { type: 'text-end', id: 't1' },
          { type: 'finish', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 5, totalTokens: 8 } },
        ] as any),
        rawCall: { rawPrompt: null, rawSettings: {} },
      };
    },
  });
}

/** An AI SDK v1 model by hand (Mastra runs these through agent.streamLegacy). */
function v1TextModel(text: string) {
  const streamCalls: any[] = [];
  return {
    streamCalls,
    specificationVersion: 'v1',
    provider: 'mock-provider',
    modelId: 'mock-v1',
    defaultObjectGenerationMode: 'json',
    doGenerate: async () => ({ rawCall: { rawPrompt: null, rawSettings: {} }, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 }, text }),
    doStream: async (options: any) => {
      streamCalls.push(options);
      return {
        stream: new ReadableStream({
          start(c) {
            c.enqueue({ type: 'text-delta', textDelta: text });
            c.enqueue({ type: 'finish', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } });
            c.close();
          },
        }),
        rawCall: { rawPrompt: null, rawSettings: {} },
      };
    },
  } as any;
}

const PROMPT = z.object({ prompt: z.string() });

function onWeft<W extends { id: string }>(w: W, store?: ReturnType<typeof sqliteStore>): W {
  wefts.push(new Weft({ workflows: { [w.id]: w as any }, store: store ?? sqliteStore({ path: join(dir, `${uid('db')}.db`) }) }));
  return w;
}

async function collect(stream: AsyncIterable<WorkflowEvent>) {
  const out: WorkflowEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

describe('real Mastra Agent as a weft step', () => {
  it("createStep(agent): { prompt } in, { text } out; the agent's chunks are the run's workflow-step-output events", async () => {
    const agent = new Agent({ id: 'test-agent-1', name: 'test-agent-1', description: 'answers', instructions: 'answer', model: textModel(['Par', 'is']) });
    const step = createStep(agent);
    expect(step).toMatchObject({ id: 'test-agent-1', component: 'AGENT', description: 'answers' });
    const w = onWeft(createWorkflow({ id: uid('agent'), inputSchema: PROMPT, outputSchema: z.object({ text: z.string() }) }).then(step).commit());
    expect(w.steps['test-agent-1']).toMatchObject({ component: 'AGENT', description: 'answers' });
    const s = (await w.createRun()).stream({ inputData: { prompt: 'Capital of France?' } });
    const events = await collect(s.fullStream);
    const result = await s.result;
    expect(result).toMatchObject({ status: 'success', result: { text: 'Paris' } });
    expect(result.steps['test-agent-1']).toMatchObject({ status: 'success', output: { text: 'Paris' }, payload: { prompt: 'Capital of France?' } });
    const chunkTypes = events.filter((e) => e.type === 'workflow-step-output').map((e) => (e.payload.output as { type: string }).type);
    // Every chunk of the agent's fullStream, as Mastra's engine forwards them to the step's writer.
    expect(chunkTypes).toEqual(['start', 'step-start', 'text-start', 'text-delta', 'text-delta', 'text-end', 'step-finish', 'finish']);
    expect(events.filter((e) => e.type === 'workflow-step-output').every((e) => e.payload.id === 'test-agent-1')).toBe(true);
    expect(events[0]).toMatchObject({ type: 'workflow-start' });
    expect(events.at(-1)).toMatchObject({ type: 'workflow-finish' });
  });

  it('agent options reach the model (instructions, temperature); onFinish and onChunk are called', async () => {
    const seen: any[] = [];
    const agent = new Agent({ id: 'with-options', name: 'With Options', instructions: 'original instructions', model: textModel(['Response'], (o) => seen.push(o)) });
    const onFinish = vi.fn();
    const onChunk = vi.fn();
    const step = createStep(agent, { instructions: 'overridden instructions', modelSettings: { temperature: 0.7 }, maxSteps: 5, onFinish, onChunk });
    const w = onWeft(createWorkflow({ id: uid('agent-options'), inputSchema: PROMPT, outputSchema: z.any() }).then(step).commit());
    const r = await (await w.createRun()).start({ inputData: { prompt: 'Test prompt' } });
    expect(r).toMatchObject({ status: 'success', result: { text: 'Response' } });
    expect(seen).toHaveLength(1);
    expect(seen[0].temperature).toBe(0.7);
    const system = seen[0].prompt.find((m: any) => m.role === 'system');
    expect(system.content).toContain('overridden instructions');
    expect(system.content).not.toContain('original instructions');
    expect(onFinish).toHaveBeenCalled();
    expect(onChunk).toHaveBeenCalled();
  });

  it('structuredOutput: the object is the step output and the next step input', async () => {
    const article = z.object({ title: z.string(), summary: z.string(), tags: z.array(z.string()) });
    const json = JSON.stringify({ title: 'Test Article', summary: 'A summary', tags: ['test', 'article'] });
    const agent = new Agent({ id: 'article-generator', name: 'Article Generator', instructions: 'write', model: textModel([json]) });
    const count = createStep({ id: 'process-article', inputSchema: article, outputSchema: z.object({ processed: z.boolean(), tagCount: z.number() }), execute: async ({ inputData }) => ({ processed: true, tagCount: inputData.tags.length }) });
    const w = onWeft(createWorkflow({ id: uid('article'), inputSchema: PROMPT, outputSchema: z.any() }).then(createStep(agent, { structuredOutput: { schema: article } })).then(count).commit());
    const r = await (await w.createRun()).start({ inputData: { prompt: 'Generate an article about testing' } });
    expect(r).toMatchObject({ status: 'success', result: { processed: true, tagCount: 2 } });
    expect(r.steps['article-generator']).toMatchObject({ output: { title: 'Test Article', tags: ['test', 'article'] } });
  });

  it('an agent on an AI SDK v1 model runs through streamLegacy (options in the legacy form reach the model)', async () => {
    const model = v1TextModel('London');
    const agent = new Agent({ id: 'legacy-agent', name: 'legacy-agent', instructions: 'original instructions', model });
    const step = createStep(agent, { instructions: 'overridden instructions', temperature: 0.7 });
    const w = onWeft(createWorkflow({ id: uid('legacy'), inputSchema: PROMPT, outputSchema: z.any() }).then(step).commit());
    const r = await (await w.createRun()).start({ inputData: { prompt: 'Capital of the UK?' } });
    expect(r).toMatchObject({ status: 'success', result: { text: 'London' } });
    expect(model.streamCalls[0].temperature).toBe(0.7);
    expect(model.streamCalls[0].prompt.find((m: any) => m.role === 'system').content).toContain('overridden instructions');
  });

  it('.map() makes the prompt and .agent() adds the agent (twice, with an id of its own)', async () => {
    const agent = new Agent({ id: 'writer', name: 'writer', instructions: 'write', model: textModel(['hello world']) });
    const w = onWeft(
      createWorkflow({ id: uid('agent-builder'), inputSchema: z.object({ topic: z.string() }), outputSchema: z.any() })
        .map(async ({ inputData }) => ({ prompt: `Write about ${inputData.topic}` }))
        .agent(agent)
        .map(async ({ inputData }) => ({ prompt: `Shorten: ${inputData.text}` }))
        .agent(agent, {}, { id: 'writer-again' })
        .commit(),
    );
    const r = await (await w.createRun()).start({ inputData: { topic: 'weft' } });
    expect(r).toMatchObject({ status: 'success', steps: { writer: { output: { text: 'hello world' } }, 'writer-again': { output: { text: 'hello world' } } } });
  });

  it('a model that fails fails the step', async () => {
    const agent = new Agent({ id: 'failing', name: 'failing', instructions: 'x', model: new MockLanguageModelV2({ doStream: async () => { throw new Error('LLM API rate limit exceeded'); } }) });
    const w = onWeft(createWorkflow({ id: uid('agent-fails'), inputSchema: PROMPT, outputSchema: z.any() }).then(createStep(agent)).commit());
    const r = await (await w.createRun()).start({ inputData: { prompt: 'x' } });
    expect(r.status).toBe('failed');
    expect(r.steps.failing).toMatchObject({ status: 'failed' });
    expect((r.steps.failing as any).error.message).toMatch(/LLM API rate limit exceeded/);
  });

  it('a tripwire from an input processor fails the step with AGENT_TRIPWIRE', async () => {
    const processor = {
      id: 'tripwire-processor',
      name: 'Tripwire Processor',
      processInput: async ({ messages, abort }: any) => {
        abort('Content blocked by policy', { retry: true, metadata: { severity: 'high' } });
        return messages;
      },
    };
    const agent = new Agent({ id: 'guarded', name: 'guarded', instructions: 'x', model: textModel(['never']), inputProcessors: [processor] });
    const w = onWeft(createWorkflow({ id: uid('agent-tripwire'), inputSchema: PROMPT, outputSchema: z.any() }).then(createStep(agent, { retries: 2 })).commit());
    const r = await (await w.createRun()).start({ inputData: { prompt: 'blocked content' } });
    expect(r.status).toBe('failed');
    expect(r.steps.guarded).toMatchObject({ status: 'failed', error: { name: 'AgentTripwireError', code: 'AGENT_TRIPWIRE' } });
    expect((r.steps.guarded as any).error.message).toContain('Content blocked by policy');
  });

  it('a recovered run does not call the model again for a finished agent step', async () => {
    const calls = vi.fn();
    const agent = new Agent({ id: 'once', name: 'once', instructions: 'x', model: textModel(['journaled'], calls) });
    let hold = true;
    let entered!: () => void;
    const reached = new Promise<void>((r) => (entered = r));
    const holdStep = createStep({
      id: 'hold',
      inputSchema: z.any(),
      outputSchema: z.any(),
      execute: async ({ inputData, abortSignal }) => {
        if (hold) {
          entered();
          await new Promise<void>((resolve) => abortSignal.addEventListener('abort', () => resolve()));
        }
        return inputData;
      },
    });
    const id = uid('agent-durable');
    const build = () => createWorkflow({ id, inputSchema: PROMPT, outputSchema: z.any() }).then(createStep(agent)).then(holdStep).commit();
    const path = join(dir, `${uid('durable')}.db`);
    const w1 = build();
    const first = new Weft({ workflows: { [id]: w1 }, store: sqliteStore({ path }) });
    const run = await w1.createRun();
    await run.startAsync({ inputData: { prompt: 'x' } });
    await reached;
    await first.stop({ timeoutMs: 10 });

    hold = false;
    const w2 = build();
    const second = new Weft({ workflows: { [id]: w2 }, store: sqliteStore({ path }), worker: { pollMs: 10 } });
    wefts.push(second);
    await second.start();
    let r = await w2.getWorkflowRunExecutionResult(run.runId);
    for (let i = 0; i < 500 && r?.status !== 'success' && r?.status !== 'failed'; i++) {
      await new Promise((res) => setTimeout(res, 10)); // polling a condition, not a fixed wait
      r = await w2.getWorkflowRunExecutionResult(run.runId);
    }
    expect(r).toMatchObject({ status: 'success', result: { text: 'journaled' } });
    expect(calls).toHaveBeenCalledTimes(1);
  });
});

describe('real Mastra tools and classifiers as weft steps', () => {
  it('createStep(createTool(...)): the tool gets its input and a workflow context; component TOOL', async () => {
    const execute = vi.fn(async (input: { name: string }, _context: any) => ({ name: input.name }));
    const tool = createTool({ id: 'random-tool', description: 'random-tool', inputSchema: z.object({ name: z.string() }), outputSchema: z.object({ name: z.string() }), execute });
    const step1 = createStep({ id: 'step1', inputSchema: z.object({}), outputSchema: z.object({ name: z.string() }), execute: async () => ({ name: 'step1' }) });
    const w = onWeft(createWorkflow({ id: uid('interop'), inputSchema: z.object({}), outputSchema: z.any() }).then(step1).then(createStep(tool)).commit());
    const run = await w.createRun();
    const r = await run.start({ inputData: {} });
    expect(r).toMatchObject({ status: 'success', steps: { 'random-tool': { status: 'success', output: { name: 'step1' } } } });
    expect(execute).toHaveBeenCalledTimes(1);
    expect(execute.mock.calls[0]![0]).toEqual({ name: 'step1' });
    expect(execute.mock.calls[0]![1].workflow).toMatchObject({ runId: run.runId, workflowId: w.id });
    expect(w.steps['random-tool']).toMatchObject({ component: 'TOOL', description: 'random-tool' });
  });

  it("a tool's own validation failure fails the step (Mastra's tool returns it instead of throwing)", async () => {
    const tool = createTool({ id: 'liar', description: 'returns the wrong shape', inputSchema: z.object({ value: z.number() }), outputSchema: z.object({ doubled: z.number() }), execute: async () => ({ doubled: 'many' }) as any });
    const w = onWeft(createWorkflow({ id: uid('tool-invalid'), inputSchema: z.object({ value: z.number() }), outputSchema: z.any() }).then(createStep(tool)).commit());
    const r = await (await w.createRun()).start({ inputData: { value: 1 } });
    expect(r.status).toBe('failed');
    expect(r.steps.liar).toMatchObject({ status: 'failed', error: { name: 'ToolValidationError', code: 'VALIDATION_FAILED' } });
  });

  it('.map() then .tool(), and a tool and an agent in parallel on the same input', async () => {
    const doubleTool = createTool({ id: 'double-tool', description: 'Doubles a number', inputSchema: z.object({ value: z.number() }), outputSchema: z.object({ doubled: z.number() }), execute: async ({ value }) => ({ doubled: value * 2 }) });
    const w1 = onWeft(createWorkflow({ id: uid('map-tool'), inputSchema: z.object({ value: z.number() }), outputSchema: z.any() }).map(async ({ inputData }) => ({ value: inputData.value + 1 })).tool(doubleTool).commit());
    expect(await (await w1.createRun()).start({ inputData: { value: 5 } })).toMatchObject({ status: 'success', result: { doubled: 12 } });

    const writer = new Agent({ id: 'writer', name: 'writer', instructions: 'echo', model: textModel(['hello world']) });
    const w2 = onWeft(createWorkflow({ id: uid('parallel'), inputSchema: z.object({ value: z.number(), prompt: z.string() }), outputSchema: z.any() }).parallel([createStep(doubleTool), createStep(writer)]).commit());
    const r = await (await w2.createRun()).start({ inputData: { value: 4, prompt: 'hi' } });
    expect(r).toMatchObject({ status: 'success', steps: { 'double-tool': { output: { doubled: 8 } }, writer: { output: { text: 'hello world' } } } });
  });

  it('a tool suspends through context.workflow.suspend and resumes with resumeData', async () => {
    const approve = createTool({
      id: 'approve',
      description: 'asks for approval',
      inputSchema: z.object({ amount: z.number() }),
      outputSchema: z.object({ approved: z.boolean() }),
      suspendSchema: z.object({ ask: z.string() }),
      resumeSchema: z.object({ ok: z.boolean() }),
      execute: async (input, context) => {
        const resumeData = context?.workflow?.resumeData as { ok: boolean } | undefined;
        if (!resumeData) {
          await context?.workflow?.suspend?.({ ask: `approve ${input.amount}?` });
          return undefined as any;
        }
        return { approved: resumeData.ok };
      },
    });
    const w = onWeft(createWorkflow({ id: uid('tool-suspend'), inputSchema: z.object({ amount: z.number() }), outputSchema: z.any() }).then(createStep(approve)).commit());
    const run = await w.createRun();
    expect(await run.start({ inputData: { amount: 42 } })).toMatchObject({ status: 'suspended', steps: { approve: { suspendPayload: { ask: 'approve 42?' } } } });
    expect(await run.resume({ step: 'approve', resumeData: { ok: true } })).toMatchObject({ status: 'success', result: { approved: true } });
  });

  it('createStep(classifier) hands the input to evaluate() as the state and returns { answers, usage }', async () => {
    const model = {
      specificationVersion: 'v4',
      provider: 'mock',
      modelId: 'mock-classifier',
      supportedQuestionTypes: ['boolean', 'choice', 'score'],
      doEvaluate: vi.fn(async () => ({
        answers: { positive: { type: 'boolean', probability: 0.9 } },
        usage: { inputTokens: 1, outputTokens: 3, totalTokens: 4 },
        warnings: [],
        response: { timestamp: new Date(0), modelId: 'mock-classifier' },
      })),
    };
    const classifier = new Classifier({ id: 'sentiment', model: model as any, questions: { positive: { type: 'boolean' } } });
    const w = onWeft(createWorkflow({ id: uid('classifier'), inputSchema: z.object({ text: z.string() }), outputSchema: z.any() }).classifier(classifier).commit());
    const r = await (await w.createRun()).start({ inputData: { text: 'great' } });
    expect(r).toMatchObject({ status: 'success', result: { answers: { positive: { type: 'boolean' } }, usage: { totalTokens: 4 } } });
    expect(model.doEvaluate).toHaveBeenCalledTimes(1);
    expect(w.steps.sentiment).toMatchObject({ component: 'CLASSIFIER' });
  });
});
