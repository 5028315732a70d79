import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, RequestContext, sqliteStore, type Store, type WorkflowStreamChunk } from '../../src/index.js';
import { supportReply } from '../../src/examples/support-reply.js';
import { FakeAgent, ScriptedModel, generateOnlyAgent, type Turn } from './fake-agents.js';
import { deferred, makeWeft, uid, until, untilStatus } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-agents-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STORES: [string, () => Store][] = [
  ['memory', () => memoryStore()],
  ['sqlite', () => sqliteStore({ path: join(dir, `${uid('db')}.db`) })],
];

const PROMPT = z.object({ prompt: z.string() });
const agentOf = (id: string, ...turns: Turn[]) => new FakeAgent({ id, description: `${id} description`, model: new ScriptedModel(turns) });

async function collect(stream: AsyncIterable<WorkflowStreamChunk>): Promise<WorkflowStreamChunk[]> {
  const out: WorkflowStreamChunk[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

describe.each(STORES)('agent steps (%s store)', (_name, makeStore) => {
  /** Binds `w` to a fresh engine on this store. */
  const onStore = <W extends { id: string }>(w: W, store = makeStore()) => {
    makeWeft({ [w.id]: w as any }, { store });
    return w;
  };

  it('createStep(agent): { prompt } in, { text } out, the agent gets the prompt, the options, the run context', async () => {
    const agent = agentOf('writer', { deltas: ['Par', 'is'] });
    const step = createStep(agent, { instructions: 'be brief', temperature: 0.2 });
    expect(step).toMatchObject({ id: 'writer', component: 'AGENT', description: 'writer description' });
    const w = onStore(createWorkflow({ id: uid('agent'), inputSchema: PROMPT, outputSchema: z.object({ text: z.string() }) }).then(step).commit());
    const rc = new RequestContext({ tenant: 't1' });
    const r = await (await w.createRun()).start({ inputData: { prompt: 'Capital of France?' }, requestContext: rc });
    expect(r).toMatchObject({ status: 'success', result: { text: 'Paris' } });
    expect(r.steps.writer).toMatchObject({ status: 'success', output: { text: 'Paris' }, payload: { prompt: 'Capital of France?' } });
    expect(agent.calls).toHaveLength(1);
    const call = agent.calls[0]!;
    expect(call).toMatchObject({ method: 'stream', prompt: 'Capital of France?', options: { instructions: 'be brief', temperature: 0.2 } });
    expect(call.options.requestContext.get('tenant')).toBe('t1');
    expect(call.options.abortSignal).toBeInstanceOf(AbortSignal);
  });

  it("the agent gets the run's request context in Mastra's shape; what it writes there, later steps read", async () => {
    const agent = agentOf('writer', { deltas: ['x'] });
    const stream = agent.stream.bind(agent);
    agent.stream = async (prompt: unknown, options: Record<string, any> = {}) => {
      const rc = options.requestContext;
      expect([rc.getRaw('tenant'), rc.hasRaw('tenant'), rc.size(), rc.all, rc.serializeForSpan()]).toEqual(['t1', true, 1, { tenant: 't1' }, { tenant: 't1' }]);
      rc.setRaw('mastra__threadId', 'thread-9');
      return stream(prompt, options);
    };
    let seen: unknown;
    const after = createStep({ id: 'after', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ requestContext }) => (seen = requestContext.get('mastra__threadId')) });
    const w = onStore(createWorkflow({ id: uid('agent-rc'), inputSchema: PROMPT, outputSchema: z.any() }).then(createStep(agent)).then(after).commit());
    const r = await (await w.createRun()).start({ inputData: { prompt: 'x' }, requestContext: new RequestContext({ tenant: 't1' }) });
    expect(r.status).toBe('success');
    expect(seen).toBe('thread-9');
  });

  it("streams the agent's chunks into the run's stream, in order, under the step id", async () => {
    const agent = agentOf('writer', { deltas: ['Hel', 'lo'] });
    const w = onStore(createWorkflow({ id: uid('agent-stream'), inputSchema: PROMPT, outputSchema: z.any() }).then(createStep(agent)).commit());
    const s = (await w.createRun()).stream({ inputData: { prompt: 'hi' } });
    const events = await collect(s.fullStream);
    const outputs = events.filter((e) => e.type === 'workflow-step-output');
    expect(outputs.every((e) => e.payload.id === 'writer')).toBe(true);
    expect(outputs.map((e) => (e.payload.output as { type: string }).type)).toEqual([
      'start', 'step-start', 'text-start', 'text-delta', 'text-delta', 'text-end', 'step-finish', 'finish',
    ]);
    expect(outputs.filter((e) => (e.payload.output as { type: string }).type === 'text-delta').map((e) => (e.payload.output as any).payload.text)).toEqual(['Hel', 'lo']);
    const types = events.map((e) => e.type);
    expect(types.indexOf('workflow-step-output')).toBeGreaterThan(types.indexOf('workflow-step-start'));
    expect(types.lastIndexOf('workflow-step-output')).toBeLessThan(types.indexOf('workflow-step-result'));
    expect(await s.result).toMatchObject({ status: 'success', result: { text: 'Hello' } });
  });

  it('a chunk reaches the stream while the model is still generating', async () => {
    const gate = deferred();
    const agent = agentOf('writer', { deltas: ['first', ' second'], gate: () => gate.promise });
    const w = onStore(createWorkflow({ id: uid('agent-live'), inputSchema: PROMPT, outputSchema: z.any() }).then(createStep(agent)).commit());
    const s = (await w.createRun()).stream({ inputData: { prompt: 'go' } });
    const seen: WorkflowStreamChunk[] = [];
    const reading = (async () => {
      for await (const e of s.fullStream) seen.push(e);
    })();
    await until(() => seen.some((e) => e.type === 'workflow-step-output' && (e.payload.output as any).payload?.text === 'first'), 5000, 'the first delta');
    expect(seen.some((e) => e.type === 'workflow-step-result')).toBe(false); // the model is held: the step has not finished
    gate.resolve();
    await reading;
    expect(await s.result).toMatchObject({ status: 'success', result: { text: 'first second' } });
  });

  it('structuredOutput: the object is the output (and the next input); the schema goes to the agent', async () => {
    const article = z.object({ title: z.string(), tags: z.array(z.string()) });
    const agent = agentOf('article-writer', { deltas: ['{"title":"T","tags":["a","b"]}'], object: { title: 'T', tags: ['a', 'b'] } });
    const count = createStep({ id: 'count', inputSchema: article, outputSchema: z.object({ tags: z.number() }), execute: async ({ inputData }) => ({ tags: inputData.tags.length }) });
    const agentStep = createStep(agent, { structuredOutput: { schema: article } });
    expect(agentStep.outputSchema).toBe(article);
    const w = onStore(createWorkflow({ id: uid('agent-structured'), inputSchema: PROMPT, outputSchema: z.any() }).then(agentStep).then(count).commit());
    const r = await (await w.createRun()).start({ inputData: { prompt: 'write' } });
    expect(r).toMatchObject({ status: 'success', result: { tags: 2 } });
    expect(r.steps['article-writer']).toMatchObject({ output: { title: 'T', tags: ['a', 'b'] } });
    expect(agent.calls[0]!.options.structuredOutput).toEqual({ schema: article });
  });

  it('structuredOutput without an object from the agent fails the step with AGENT_NO_STRUCTURED_OUTPUT', async () => {
    const agent = agentOf('article-writer', { deltas: ['not json'] });
    const step = createStep(agent, { structuredOutput: { schema: z.object({ title: z.string() }) } });
    const w = onStore(createWorkflow({ id: uid('agent-no-object'), inputSchema: PROMPT, outputSchema: z.any() }).then(step).commit());
    const r = await (await w.createRun()).start({ inputData: { prompt: 'write' } });
    expect(r).toMatchObject({ status: 'failed', steps: { 'article-writer': { status: 'failed', error: { name: 'AgentOutputError', code: 'AGENT_NO_STRUCTURED_OUTPUT' } } } });
  });

  it('a model failure fails the step with its message: thrown by the call, or an error chunk mid-stream', async () => {
    for (const turn of [{ throws: 'LLM API rate limit exceeded' }, { deltas: ['partial'], errorChunk: 'LLM API rate limit exceeded' }]) {
      const w = onStore(createWorkflow({ id: uid('agent-fails'), inputSchema: PROMPT, outputSchema: z.any() }).then(createStep(agentOf('writer', turn))).commit());
      const r = await (await w.createRun()).start({ inputData: { prompt: 'x' } });
      expect(r).toMatchObject({ status: 'failed', steps: { writer: { status: 'failed', error: { message: 'LLM API rate limit exceeded' } } } });
    }
  });

  it('retries re-call the model; a tripwire fails at once with AGENT_TRIPWIRE (not retried)', async () => {
    const flaky = agentOf('writer', { throws: 'overloaded' }, { deltas: ['ok'] });
    const w1 = onStore(createWorkflow({ id: uid('agent-retry'), inputSchema: PROMPT, outputSchema: z.any() }).then(createStep(flaky, { retries: 1 })).commit());
    expect(await (await w1.createRun()).start({ inputData: { prompt: 'x' } })).toMatchObject({ status: 'success', result: { text: 'ok' } });
    expect(flaky.model.calls).toBe(2);

    const guarded = agentOf('guarded', { tripwire: { reason: 'Content blocked by policy', retry: true, processorId: 'policy' } });
    const w2 = onStore(createWorkflow({ id: uid('agent-tripwire'), inputSchema: PROMPT, outputSchema: z.any() }).then(createStep(guarded, { retries: 3 })).commit());
    const r = await (await w2.createRun()).start({ inputData: { prompt: 'blocked content' } });
    expect(r).toMatchObject({ status: 'failed', steps: { guarded: { status: 'failed', error: { name: 'AgentTripwireError', code: 'AGENT_TRIPWIRE' } } } });
    expect((r.steps.guarded as any).error.message).toContain('Content blocked by policy');
    expect(guarded.model.calls).toBe(1);
  });

  it("the caller's onFinish and onChunk are called; an onFinish that throws fails the step", async () => {
    const finished: unknown[] = [];
    const chunks: unknown[] = [];
    const agent = agentOf('writer', { deltas: ['a', 'b'] });
    const ok = createStep(agent, { onFinish: (r: unknown) => finished.push(r), onChunk: (c: unknown) => chunks.push(c) });
    const w1 = onStore(createWorkflow({ id: uid('agent-callbacks'), inputSchema: PROMPT, outputSchema: z.any() }).then(ok).commit());
    expect(await (await w1.createRun()).start({ inputData: { prompt: 'x' } })).toMatchObject({ status: 'success', result: { text: 'ab' } });
    expect(finished).toMatchObject([{ text: 'ab' }]);
    expect(chunks).toHaveLength(2);

    const bad = createStep(agentOf('writer', { deltas: ['a'] }), { onFinish: () => { throw new Error('callback broke'); } });
    const w2 = onStore(createWorkflow({ id: uid('agent-callback-throws'), inputSchema: PROMPT, outputSchema: z.any() }).then(bad).commit());
    expect(await (await w2.createRun()).start({ inputData: { prompt: 'x' } })).toMatchObject({ status: 'failed', steps: { writer: { error: { message: 'callback broke' } } } });
  });

  it('an agent with generate() only, and one on a v1 model (streamLegacy), both work', async () => {
    const gen = generateOnlyAgent('gen', new ScriptedModel([{ deltas: ['from generate'] }]));
    const legacy = new FakeAgent({ id: 'legacy', model: new ScriptedModel([{ deltas: ['from ', 'v1'] }], 'v1') });
    const w = onStore(
      createWorkflow({ id: uid('agent-kinds'), inputSchema: PROMPT, outputSchema: z.any() })
        .parallel([createStep(gen), createStep(legacy)])
        .commit(),
    );
    const s = (await w.createRun()).stream({ inputData: { prompt: 'x' } });
    const events = await collect(s.fullStream);
    expect(await s.result).toMatchObject({ status: 'success', result: { gen: { text: 'from generate' }, legacy: { text: 'from v1' } } });
    expect(gen.calls.map((c) => c.method)).toEqual(['generate']);
    expect(legacy.calls.map((c) => c.method)).toEqual(['streamLegacy']);
    expect(events.filter((e) => e.type === 'workflow-step-output').map((e) => e.payload.id)).toEqual(['legacy', 'legacy', 'legacy']);
  });

  it('.map() makes the prompt, .agent() adds the agent with an id of its own; the same agent twice', async () => {
    const agent = agentOf('writer', { deltas: ['one'] }, { deltas: ['two'] });
    const w = onStore(
      createWorkflow({ id: uid('agent-builder'), inputSchema: z.object({ topic: z.string() }), outputSchema: z.any() })
        .map(async ({ inputData }) => ({ prompt: `Write about ${inputData.topic}` }))
        .agent(agent)
        .map(async ({ inputData }) => ({ prompt: `Improve: ${inputData.text}` }))
        .agent(agent, {}, { id: 'writer-again' })
        .commit(),
    );
    expect(w.steps.writer).toMatchObject({ component: 'AGENT' });
    expect(w.steps['writer-again']).toMatchObject({ component: 'AGENT' });
    const r = await (await w.createRun()).start({ inputData: { topic: 'durability' } });
    expect(r).toMatchObject({ status: 'success', result: { text: 'two' } });
    expect(agent.calls.map((c) => c.prompt)).toEqual(['Write about durability', 'Improve: one']);
  });
});

describe.each(STORES)('agent steps are durable (%s store)', (_name, makeStore) => {
  /** agent -> hold (blocks until the engine stops while `hold.on`); the process "dies" at the hold. */
  function build(agent: FakeAgent, hold: { on: boolean }, entered = deferred()) {
    const holdStep = createStep({
      id: 'hold',
      inputSchema: z.any(),
      outputSchema: z.any(),
      execute: async ({ inputData, abortSignal }) => {
        if (hold.on) {
          entered.resolve();
          await new Promise<void>((resolve) => abortSignal.addEventListener('abort', () => resolve()));
        }
        return inputData;
      },
    });
    const id = uid('agent-durable');
    const wf = () => createWorkflow({ id, inputSchema: PROMPT, outputSchema: z.any() }).then(createStep(agent)).then(holdStep).commit();
    return { wf, entered };
  }

  it('a recovered run replays a finished agent step from the journal: the model is not called again', async () => {
    const agent = agentOf('writer', { deltas: ['journaled'] }, { deltas: ['SHOULD NOT BE CALLED'] });
    const hold = { on: true };
    const { wf, entered } = build(agent, hold);
    const store = makeStore();
    const w1 = wf();
    const first = makeWeft({ [w1.id]: w1 }, { store });
    const run = await w1.createRun();
    await run.startAsync({ inputData: { prompt: 'x' } });
    await entered.promise;
    await first.stop({ timeoutMs: 10 });

    hold.on = false;
    const w2 = wf(); // a new process: a new definition, the same store
    const second = makeWeft({ [w2.id]: w2 }, { store, worker: { pollMs: 10 } });
    await second.start();
    const r = await untilStatus(w2, run.runId, ['success', 'failed']);
    expect(r).toMatchObject({ status: 'success', result: { text: 'journaled' } });
    expect(agent.model.calls).toBe(1);
  });

  it('an agent step that had not finished is called again on recovery (at-least-once)', async () => {
    const gate = deferred();
    const agent = agentOf('writer', { deltas: ['lost', ' forever'], gate: () => gate.promise }, { deltas: ['second try'] });
    const hold = { on: false };
    const { wf } = build(agent, hold);
    const store = makeStore();
    const w1 = wf();
    const first = makeWeft({ [w1.id]: w1 }, { store });
    const run = await w1.createRun();
    await run.startAsync({ inputData: { prompt: 'x' } });
    await until(() => agent.model.calls === 1, 5000, 'the model call');
    await first.stop({ timeoutMs: 10 }); // dies mid-stream: nothing of the agent step is journaled

    const w2 = wf();
    const second = makeWeft({ [w2.id]: w2 }, { store, worker: { pollMs: 10 } });
    await second.start();
    const r = await untilStatus(w2, run.runId, ['success', 'failed']);
    expect(r).toMatchObject({ status: 'success', result: { text: 'second try' } });
    expect(agent.model.calls).toBe(2);
  });
});

describe('the support-reply example', () => {
  it('maps the ticket to a prompt, streams the drafted reply, sends it', async () => {
    makeWeft({ 'support-reply': supportReply });
    const s = (await supportReply.createRun()).stream({ inputData: { customer: 'Ada', message: 'Charged twice.' } });
    const events = await collect(s.fullStream);
    const r = await s.result;
    expect(r).toMatchObject({ status: 'success', result: { sent: true } });
    const streamed = events
      .filter((e) => e.type === 'workflow-step-output' && (e.payload.output as any).type === 'text-delta')
      .map((e) => (e.payload.output as any).payload.text)
      .join('');
    expect(streamed).toMatch(/^Hi Ada, thanks/);
    expect(r.steps['reply-writer']).toMatchObject({ status: 'success', output: { text: streamed }, payload: { prompt: expect.stringContaining('Customer: Ada') } });
  });
});
