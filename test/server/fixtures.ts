import { z } from 'zod';
import { createStep, createWorkflow, NonRetryableError } from '../../src/index.js';

export const SCRIPT_PAYLOAD = '<script>window.__pwned = true</script><img src=x onerror="window.__pwned = true"><b>bold</b>';

/**
 * Small workflows covering each server path: success, suspend, long-running, failure, HTML output.
 * A workflow object belongs to one engine at a time, so every engine a test starts gets its own set.
 */
export function makeFixtures() {
  const num = z.object({ n: z.number() });

  const inc = createStep({ id: 'inc', inputSchema: num, outputSchema: num, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const double = createStep({
    id: 'double',
    inputSchema: num,
    outputSchema: num,
    execute: async ({ inputData, writer }) => {
      await writer.write({ note: 'doubling' });
      return { n: inputData.n * 2 };
    },
  });
  const add = createWorkflow({ id: 'add', inputSchema: num, outputSchema: num }).then(inc).then(double).commit();

  const ask = createStep({
    id: 'ask',
    inputSchema: z.object({ amount: z.number() }),
    outputSchema: z.object({ approved: z.boolean() }),
    resumeSchema: z.object({ approved: z.boolean() }),
    execute: async ({ resumeData, suspend, inputData }) => {
      if (!resumeData) return suspend({ question: `approve ${inputData.amount}?` });
      return { approved: resumeData.approved };
    },
  });
  const approve = createWorkflow({ id: 'approve', inputSchema: z.object({ amount: z.number() }), outputSchema: z.object({ approved: z.boolean() }) })
    .then(ask)
    .commit();

  const wait = createStep({
    id: 'wait',
    inputSchema: z.object({ ms: z.number() }),
    outputSchema: z.object({ waited: z.boolean() }),
    execute: async ({ inputData, abortSignal }) => {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, inputData.ms);
        abortSignal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      });
      return { waited: true };
    },
  });
  const slow = createWorkflow({ id: 'slow', inputSchema: z.object({ ms: z.number() }), outputSchema: z.object({ waited: z.boolean() }) }).then(wait).commit();

  const boom = createStep({
    id: 'boom',
    inputSchema: z.object({}),
    outputSchema: z.object({}),
    execute: async () => {
      throw new NonRetryableError('it broke');
    },
  });
  const fails = createWorkflow({ id: 'fails', inputSchema: z.object({}), outputSchema: z.object({}) }).then(boom).commit();

  const render = createStep({
    id: 'render',
    inputSchema: z.object({}),
    outputSchema: z.object({ html: z.string() }),
    execute: async () => ({ html: SCRIPT_PAYLOAD }),
  });
  const html = createWorkflow({ id: 'html', inputSchema: z.object({}), outputSchema: z.object({ html: z.string() }) }).then(render).commit();

  return { add, approve, slow, fails, html };
}

/** One set, for types and for tests that run a single engine. */
export const fixtures = makeFixtures();
