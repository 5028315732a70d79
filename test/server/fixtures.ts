import { z } from 'zod';
import { createStep, createWorkflow, NonRetryableError } from '../../src/index.js';

/** Small workflows covering each server path: success, suspend, long-running, failure, HTML output. */
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
export const add = createWorkflow({ id: 'add', inputSchema: num, outputSchema: num }).then(inc).then(double).commit();

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
export const approve = createWorkflow({ id: 'approve', inputSchema: z.object({ amount: z.number() }), outputSchema: z.object({ approved: z.boolean() }) })
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
export const slow = createWorkflow({ id: 'slow', inputSchema: z.object({ ms: z.number() }), outputSchema: z.object({ waited: z.boolean() }) }).then(wait).commit();

const boom = createStep({
  id: 'boom',
  inputSchema: z.object({}),
  outputSchema: z.object({}),
  execute: async () => {
    throw new NonRetryableError('it broke');
  },
});
export const fails = createWorkflow({ id: 'fails', inputSchema: z.object({}), outputSchema: z.object({}) }).then(boom).commit();

export const SCRIPT_PAYLOAD = '<script>window.__pwned = true</script><img src=x onerror="window.__pwned = true"><b>bold</b>';
const render = createStep({
  id: 'render',
  inputSchema: z.object({}),
  outputSchema: z.object({ html: z.string() }),
  execute: async () => ({ html: SCRIPT_PAYLOAD }),
});
export const html = createWorkflow({ id: 'html', inputSchema: z.object({}), outputSchema: z.object({ html: z.string() }) }).then(render).commit();

export const fixtures = { add, approve, slow, fails, html };
