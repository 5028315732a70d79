import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, InvalidStepSourceError, WorkflowDefinitionError } from '../../src/index.js';
import { FakeAgent, ScriptedModel, TOOL_MARKER, fakeTool } from '../engine/fake-agents.js';

const N = z.object({ n: z.number() });
const agent = (id: string, description?: string) => new FakeAgent({ id, description, model: new ScriptedModel([{ deltas: ['x'] }]) });
const tool = () => fakeTool({ id: 'double', inputSchema: N, outputSchema: N, execute: async (i) => i });
const classifier = (questions: unknown = { tone: { type: 'boolean' } }) => ({ id: 'tone', questions, evaluate: async () => ({ answers: {}, usage: { totalTokens: 0 } }) });
const wf = () => createWorkflow({ id: 'w', inputSchema: z.object({ prompt: z.string() }), outputSchema: z.any() });

function codeOf(call: () => unknown): string | undefined {
  try {
    call();
  } catch (e) {
    expect(e).toBeInstanceOf(WorkflowDefinitionError);
    return (e as { code?: string }).code;
  }
  throw new Error('expected a throw');
}

describe('createStep recognises agents, tools and classifiers', () => {
  it('an agent by id + stream/generate; a tool by its marker; a classifier by id + questions + evaluate', () => {
    expect(createStep(agent('writer', 'writes'))).toMatchObject({ component: 'AGENT', id: 'writer', description: 'writes' });
    expect(createStep({ name: 'named-only', generate: async () => ({ text: '' }) } as any)).toMatchObject({ component: 'AGENT', id: 'named-only' });
    expect(createStep(tool())).toMatchObject({ component: 'TOOL', id: 'double' });
    expect(createStep(classifier() as any)).toMatchObject({ component: 'CLASSIFIER', id: 'tone' });
    expect(createStep(classifier() as any, { id: 'tone-2' })).toMatchObject({ id: 'tone-2' });
  });

  it('an empty agent description is no description', () => {
    expect(createStep(agent('writer', '')).description).toBeUndefined();
  });

  it('something that is none of them is INVALID_STEP_SOURCE', () => {
    for (const v of [undefined, null, 5, 'step', [], { id: 'x', run: () => 1 }, { id: 'x', stream: 'not a function' }]) {
      expect(() => createStep(v as any)).toThrow(InvalidStepSourceError);
      expect(codeOf(() => createStep(v as any))).toBe('INVALID_STEP_SOURCE');
    }
    expect(() => createStep({ id: 'x' } as any)).toThrow(/a step config .* an agent .* a tool .* or a classifier/);
  });

  it('an object with a step config member is still validated as a step config (precise errors, INVALID_DEFINITION)', () => {
    expect(codeOf(() => createStep({ id: 's', inputSchema: N, outputSchema: N } as any))).toBe('INVALID_DEFINITION');
    expect(() => createStep({ id: 's', inputSchema: N, outputSchema: N } as any)).toThrow(/execute must be a function/);
    expect(() => (createStep as any)({ id: 's', inputSchema: N, outputSchema: N, execute: async () => ({ n: 1 }) }, { retries: 1 })).toThrow(/takes no second argument/);
  });

  it('an agent or tool whose id cannot be a step id says how to give one', () => {
    const spaced = agent('Tripwire Test Agent');
    expect(codeOf(() => createStep(spaced))).toBe('INVALID_STEP_SOURCE');
    expect(() => createStep(spaced)).toThrow(/give the step an id with \.agent\(agent, options, \{ id \}\)/);
    expect(wf().agent(spaced, {}, { id: 'tripwire-agent' }).steps['tripwire-agent']).toMatchObject({ component: 'AGENT' });
  });

  it('a tool without execute or schemas, a classifier without questions, structuredOutput without a schema are INVALID_STEP_SOURCE', () => {
    const t = tool();
    expect(codeOf(() => createStep({ ...t, execute: undefined } as any))).toBe('INVALID_STEP_SOURCE');
    expect(() => createStep({ ...t, outputSchema: undefined } as any)).toThrow(/needs an inputSchema and an outputSchema/);
    expect(codeOf(() => createStep(classifier(null) as any))).toBe('INVALID_STEP_SOURCE');
    expect(codeOf(() => createStep(agent('a'), { structuredOutput: {} as any }))).toBe('INVALID_STEP_SOURCE');
    expect(codeOf(() => createStep(agent('a'), 'opts' as any))).toBe('INVALID_STEP_SOURCE');
  });

  it('step options are checked like a step config\'s (INVALID_DEFINITION)', () => {
    expect(codeOf(() => createStep(agent('a'), { retries: -1 }))).toBe('INVALID_DEFINITION');
    expect(codeOf(() => createStep(tool(), { timeoutMs: 0 }))).toBe('INVALID_DEFINITION');
  });
});

describe('workflow builders', () => {
  it('.agent/.tool/.classifier with an id string: weft has no registry, INVALID_STEP_SOURCE', () => {
    expect(codeOf(() => wf().agent('writer' as any))).toBe('INVALID_STEP_SOURCE');
    expect(() => wf().tool('double-tool' as any)).toThrow(/no tool registry .* pass the tool object itself/);
    expect(codeOf(() => wf().classifier('tone' as any))).toBe('INVALID_STEP_SOURCE');
  });

  it('.agent/.tool/.classifier with the wrong kind of object are INVALID_STEP_SOURCE', () => {
    expect(codeOf(() => wf().agent(tool() as any))).toBe('INVALID_STEP_SOURCE');
    expect(codeOf(() => wf().tool(agent('a') as any))).toBe('INVALID_STEP_SOURCE');
    expect(codeOf(() => wf().classifier(agent('a') as any))).toBe('INVALID_STEP_SOURCE');
    expect(codeOf(() => wf().agent(agent('a'), {}, 'id' as any))).toBe('INVALID_DEFINITION');
  });

  it('.then(agent) or .then(tool) without createStep says to wrap them', () => {
    expect(() => wf().then(agent('a') as any)).toThrow(/wrap an agent or a tool with createStep/);
    expect(() => wf().parallel([{ [TOOL_MARKER]: true, id: 't' }] as any)).toThrow(/wrap an agent or a tool with createStep/);
  });

  it('workflow.steps lists every step placed in the graph by id, a nested workflow as one entry', () => {
    const s = (id: string) => createStep({ id, inputSchema: z.any(), outputSchema: z.any(), execute: async () => ({}) });
    const child = createWorkflow({ id: 'child', inputSchema: z.any(), outputSchema: z.any() }).then(s('inner')).commit();
    const w = wf()
      .agent(agent('writer'))
      .parallel([s('p1'), s('p2')])
      .branch([[async () => true, s('b1')]])
      .dowhile(s('loop-body'), async () => false)
      .map(async () => [1])
      .foreach(s('each'))
      .then(child)
      .tool(tool() as any);
    expect(Object.keys(w.steps)).toEqual(['writer', 'p1', 'p2', 'b1', 'loop-body', 'each', 'child', 'double']);
    expect(w.steps.child).toBe(child);
    expect(w.steps.writer).toMatchObject({ component: 'AGENT' });
  });

  it('the serialized graph marks agent, tool and classifier steps with their component', () => {
    const w = wf().agent(agent('writer', 'writes')).tool(tool() as any).classifier(classifier() as any).then(createStep({ id: 'plain', inputSchema: z.any(), outputSchema: z.any(), execute: async () => 1 })).commit();
    expect(w.serializedStepGraph).toEqual([
      { type: 'step', step: { id: 'writer', description: 'writes', component: 'AGENT' } },
      { type: 'step', step: { id: 'double', description: 'double tool', component: 'TOOL' } },
      { type: 'step', step: { id: 'tone', component: 'CLASSIFIER' } },
      { type: 'step', step: { id: 'plain' } },
    ]);
  });
});
