/**
 * The compat workflows, written once against Mastra's API and built twice: with weft's
 * createWorkflow/createStep (served by `weft serve`) and with @mastra/core's (served by a real
 * Mastra server for comparison). Same ids, schemas and behaviour.
 */
import { z } from 'zod';

export function defineWorkflows({ createWorkflow, createStep }) {
  const n = z.object({ n: z.number() });
  const addOne = createStep({ id: 'add-one', inputSchema: n, outputSchema: n, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const double = createStep({ id: 'double', inputSchema: n, outputSchema: n, execute: async ({ inputData }) => ({ n: inputData.n * 2 }) });
  const math = createWorkflow({ id: 'math', description: 'adds one then doubles', inputSchema: n, outputSchema: n }).then(addOne).then(double).commit();

  const ask = createStep({
    id: 'ask',
    inputSchema: z.object({ name: z.string() }),
    outputSchema: z.object({ greeting: z.string() }),
    resumeSchema: z.object({ approved: z.boolean() }),
    suspendSchema: z.object({ question: z.string() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return suspend({ question: `greet ${inputData.name}?` });
      return { greeting: resumeData.approved ? `hello ${inputData.name}` : 'no' };
    },
  });
  const approval = createWorkflow({ id: 'approval', inputSchema: z.object({ name: z.string() }), outputSchema: z.object({ greeting: z.string() }) }).then(ask).commit();

  // Waits `ms` (or until canceled): long enough to cancel a run, or to kill the server under it.
  const wait = createStep({
    id: 'wait',
    inputSchema: z.object({ ms: z.number() }),
    outputSchema: z.object({ waited: z.number() }),
    execute: async ({ inputData, abortSignal }) => {
      await new Promise((resolve) => {
        const t = setTimeout(resolve, inputData.ms);
        abortSignal?.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      });
      return { waited: inputData.ms };
    },
  });
  const slow = createWorkflow({ id: 'slow', inputSchema: z.object({ ms: z.number() }), outputSchema: z.object({ waited: z.number() }) }).then(wait).commit();

  return { math, approval, slow };
}
