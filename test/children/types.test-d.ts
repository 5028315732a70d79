import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow } from '../../src/index.js';

/** ctx.startWorkflow takes the child's input type and gives its output type. */
const child = createWorkflow({ id: 'child', inputSchema: z.object({ n: z.number() }), outputSchema: z.object({ doubled: z.number() }) })
  .then(createStep({ id: 's', inputSchema: z.object({ n: z.number() }), outputSchema: z.object({ doubled: z.number() }), execute: async ({ inputData }) => ({ doubled: inputData.n * 2 }) }))
  .commit();

describe('ctx.startWorkflow types', () => {
  it('checks the input and types the result', () => {
    createStep({
      id: 'parent',
      inputSchema: z.object({ n: z.number() }),
      outputSchema: z.any(),
      execute: async (ctx) => {
        const out = await ctx.startWorkflow(child, { n: 1 });
        expectTypeOf(out).toEqualTypeOf<{ doubled: number }>();
        // @ts-expect-error the child's input needs n: number
        await ctx.startWorkflow(child, { n: 'one' });
        // By id: untyped.
        expectTypeOf(await ctx.startWorkflow('child', { anything: true })).toBeAny();
        return out;
      },
    });
  });
});
