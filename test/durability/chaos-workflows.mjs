// Workflows for the crash tests. Every step appends an `exec` line to the side-effect ledger before
// doing its work, so the test can tell which steps ran in which process.
import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { createStep, createWorkflow } from '../../dist/index.js';

const N = z.object({ n: z.number() });

export function makeWorkflows(ledgerPath) {
  const exec = (runId, key) => appendFileSync(ledgerPath, `exec\t${runId}/${key}\t${process.pid}\n`);
  // Lifecycle callbacks note each delivery (outcome status included) in the ledger, then take a moment,
  // so kills land between a run's final commit and its callbacks' record too.
  const onFinish = async ({ runId, status }) => {
    appendFileSync(ledgerPath, `cb\t${runId}/${status}\t${process.pid}\n`);
    await new Promise((r) => setTimeout(r, 3));
  };
  const inc = (id) =>
    createStep({
      id,
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData, runId }) => {
        exec(runId, id);
        await new Promise((r) => setTimeout(r, 2));
        return { n: inputData.n + 1 };
      },
    });
  const fn = (id, f) =>
    createStep({
      id,
      inputSchema: z.any(),
      outputSchema: z.any(),
      execute: async ({ inputData, runId }) => {
        exec(runId, id);
        await new Promise((r) => setTimeout(r, 2));
        return f(inputData);
      },
    });

  const seq = createWorkflow({ id: 'seq', inputSchema: N, outputSchema: N, options: { onFinish } })
    .then(inc('s1')).then(inc('s2')).then(inc('s3')).then(inc('s4')).then(inc('s5'))
    .commit();

  const par = createWorkflow({ id: 'par', inputSchema: N, outputSchema: z.any() })
    .parallel([fn('pa', (x) => x.n * 2), fn('pb', (x) => x.n + 100), fn('pc', (x) => x.n - 1)])
    .then(fn('psum', (x) => ({ sum: x.pa + x.pb + x.pc })))
    .commit();

  const square = createStep({
    id: 'sq',
    inputSchema: z.number(),
    outputSchema: z.number(),
    execute: async ({ inputData, runId }) => {
      exec(runId, `sq[${inputData}]`);
      await new Promise((r) => setTimeout(r, 3));
      return inputData * inputData;
    },
  });
  const fe = createWorkflow({ id: 'fe', inputSchema: N, outputSchema: z.any() })
    .map(async ({ inputData }) => Array.from({ length: (inputData.n % 5) + 3 }, (_, i) => i))
    .foreach(square, { concurrency: 3 })
    .then(fn('fsum', (xs) => ({ total: xs.reduce((a, b) => a + b, 0) })))
    .commit();

  const slp = createWorkflow({ id: 'slp', inputSchema: N, outputSchema: N })
    .then(inc('z1'))
    .sleep(300)
    .then(inc('z2'))
    .commit();

  // The request context its steps set (before and while suspending) must survive kills and the resume.
  const tagged = createStep({
    id: 'u1',
    inputSchema: N,
    outputSchema: N,
    execute: async ({ inputData, runId, requestContext }) => {
      exec(runId, 'u1');
      requestContext.set('tag', inputData.n);
      await new Promise((r) => setTimeout(r, 2));
      return { n: inputData.n + 1 };
    },
  });
  const approval = createStep({
    id: 'approve',
    inputSchema: N,
    outputSchema: z.any(),
    resumeSchema: z.object({ ok: z.boolean() }),
    execute: async ({ inputData, resumeData, suspend, runId, requestContext }) => {
      exec(runId, 'approve');
      if (!resumeData) {
        requestContext.set('asked', inputData.n);
        return suspend({ asking: inputData.n });
      }
      return { n: inputData.n, approved: resumeData.ok, tag: requestContext.get('tag'), asked: requestContext.get('asked') };
    },
  });
  const sus = createWorkflow({ id: 'sus', inputSchema: N, outputSchema: z.any(), options: { onFinish } })
    .then(tagged)
    .then(approval)
    .commit();

  const inner = createWorkflow({ id: 'inner', inputSchema: N, outputSchema: N })
    .then(fn('i1', (x) => ({ n: x.n * 3 })))
    .then(fn('i2', (x) => ({ n: x.n + 7 })))
    .commit();
  const nest = createWorkflow({ id: 'nest', inputSchema: N, outputSchema: N })
    .then(inc('o1'))
    .then(inner)
    .then(fn('o2', (x) => ({ n: x.n - 2 })))
    .commit();

  // Foreach items that suspend: a suspension stops further items from starting, a resume (without a
  // step) resumes every suspended item and starts the next ones, until all are done.
  const ask = createStep({
    id: 'ask',
    inputSchema: z.number(),
    outputSchema: z.number(),
    resumeSchema: z.object({ add: z.number() }),
    execute: async ({ inputData, resumeData, suspend, runId }) => {
      exec(runId, `ask[${inputData}]`);
      await new Promise((r) => setTimeout(r, 2));
      if (!resumeData) return suspend({ item: inputData });
      return inputData * 10 + resumeData.add;
    },
  });
  const fes = createWorkflow({ id: 'fes', inputSchema: N, outputSchema: z.any() })
    .map(async ({ inputData }) => Array.from({ length: (inputData.n % 4) + 3 }, (_, i) => i))
    .foreach(ask, { concurrency: 2 })
    .then(fn('asum', (xs) => ({ total: xs.reduce((a, b) => a + b, 0) })))
    .commit();

  return { seq, par, fe, slp, sus, nest, fes };
}

export const ORDER = ['seq', 'par', 'fe', 'slp', 'sus', 'nest', 'fes'];

/** How the crash tests resume each workflow's suspended runs. */
export const RESUMES = { sus: { step: 'approve', resumeData: { ok: true } }, fes: { resumeData: { add: 1 } } };

/** The outcomes whose onFinish each workflow with callbacks delivers, in order. */
export const CALLBACK_OUTCOMES = { seq: ['success'], sus: ['suspended', 'success'] };

export function expected(i) {
  const n = i;
  switch (ORDER[i % ORDER.length]) {
    case 'seq': return { n: n + 5 };
    case 'par': return { sum: 2 * n + (n + 100) + (n - 1) };
    case 'fe': {
      const k = (n % 5) + 3;
      let t = 0;
      for (let x = 0; x < k; x++) t += x * x;
      return { total: t };
    }
    case 'slp': return { n: n + 2 };
    case 'sus': return { n: n + 1, approved: true, tag: n, asked: n + 1 };
    case 'nest': return { n: (n + 1) * 3 + 7 - 2 };
    case 'fes': {
      const k = (n % 4) + 3;
      let t = 0;
      for (let x = 0; x < k; x++) t += x * 10 + 1;
      return { total: t };
    }
  }
}
