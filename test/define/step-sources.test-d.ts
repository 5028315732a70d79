import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, type Step } from '../../src/index.js';
import { FakeAgent, ScriptedModel, fakeTool } from '../engine/fake-agents.js';

class TypedAgent<TId extends string> extends FakeAgent {
  declare readonly id: TId;
}
const writer = new TypedAgent<'writer'>({ id: 'writer', model: new ScriptedModel([]) });
const V = z.object({ value: z.number() });
const D = z.object({ doubled: z.number() });
const double = { ...fakeTool({ id: 'double', inputSchema: V, outputSchema: D, execute: async (i) => ({ doubled: i.value * 2 }) }), id: 'double' as const };
const article = z.object({ title: z.string() });

describe('agent and tool step types', () => {
  it('createStep(agent) is a step from { prompt } to { text }, or to the structured output', () => {
    expectTypeOf(createStep(writer)).toEqualTypeOf<Step<'writer', { prompt: string }, { text: string }>>();
    expectTypeOf(createStep(writer, { temperature: 0.1 })).toEqualTypeOf<Step<'writer', { prompt: string }, { text: string }>>();
    expectTypeOf(createStep(writer, { structuredOutput: { schema: article } })).toEqualTypeOf<Step<'writer', { prompt: string }, { title: string }>>();
  });

  it('createStep(tool) takes the tool schemas', () => {
    expectTypeOf(createStep(double)).toEqualTypeOf<Step<'double', { value: number }, { doubled: number }>>();
  });

  it('.agent() needs { prompt } before it and gives { text } (or the structured output) after it', () => {
    const base = createWorkflow({ id: 'w', inputSchema: z.object({ prompt: z.string() }), outputSchema: z.any() });
    const afterText = base.agent(writer);
    expectTypeOf(afterText).toEqualTypeOf<typeof afterText>();
    const needsText = createStep({ id: 'needs-text', inputSchema: z.object({ text: z.string() }), outputSchema: z.any(), execute: async () => 1 });
    base.agent(writer).then(needsText);
    const needsTitle = createStep({ id: 'needs-title', inputSchema: article, outputSchema: z.any(), execute: async () => 1 });
    base.agent(writer, { structuredOutput: { schema: article } }).then(needsTitle);
    // @ts-expect-error -- the agent's { text } is not { title }
    base.agent(writer).then(needsTitle);
    const noPrompt = createWorkflow({ id: 'w2', inputSchema: z.object({ topic: z.string() }), outputSchema: z.any() });
    // @ts-expect-error -- an agent step needs { prompt: string } before it
    noPrompt.agent(writer);
    noPrompt.map(async ({ inputData }) => ({ prompt: inputData.topic })).agent(writer);
  });

  it('.tool() checks the previous output against the tool input and gives the tool output', () => {
    const base = createWorkflow({ id: 'w', inputSchema: V, outputSchema: z.any() });
    const needsDoubled = createStep({ id: 'needs-doubled', inputSchema: D, outputSchema: z.any(), execute: async () => 1 });
    base.tool(double).then(needsDoubled);
    // @ts-expect-error -- { doubled } is not the tool's { value }
    base.tool(double).tool(double);
  });

  it('a mistyped step config is still a type error (it does not slip through as a tool)', () => {
    // @ts-expect-error -- execute returns a string where the output schema wants { n: number }
    createStep({ id: 'bad', inputSchema: V, outputSchema: z.object({ n: z.number() }), execute: async () => 'nope' });
  });
});
