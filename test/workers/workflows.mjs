// Workflows for the multi-worker tests (test/workers). Every step writes to a per-process ledger:
//   S <key> <pid> <t0>            the step started
//   E <key> <pid> <t0> <t1>       it completed (t1 taken right after its last abortSignal check)
//   A <key> <pid> <t0> <t1>       it saw abortSignal fire and gave up without its effect
//   F <key> <pid> <t0> <t1>       it threw (a failed attempt)
// so the test can tell which execution ran where and when. <key> is <runId>/<stepId>.
import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { createStep, createWorkflow } from '../../dist/index.js';

const N = z.object({ n: z.number() });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function ledgerWriter(path) {
  return (line) => appendFileSync(path, line + '\n');
}

/** A step that takes `ms` (a number or a function of the input), then returns f(input). */
function tracked(log, id, f, ms, opts = {}) {
  return createStep({
    id,
    inputSchema: opts.inputSchema ?? z.any(),
    outputSchema: z.any(),
    retries: opts.retries,
    resumeSchema: opts.resumeSchema,
    execute: async (ctx) => {
      const key = `${ctx.runId}/${id}`;
      const t0 = Date.now();
      log(`S\t${key}\t${process.pid}\t${t0}`);
      await sleep(typeof ms === 'function' ? ms(ctx.inputData) : ms);
      if (ctx.abortSignal.aborted) {
        log(`A\t${key}\t${process.pid}\t${t0}\t${Date.now()}`);
        throw ctx.abortSignal.reason;
      }
      const t1 = Date.now();
      let out;
      try {
        out = await f(ctx.inputData, ctx);
      } catch (err) {
        log(`F\t${key}\t${process.pid}\t${t0}\t${t1}`);
        throw err;
      }
      log(`E\t${key}\t${process.pid}\t${t0}\t${t1}`);
      return out;
    },
  });
}

export const CHAOS_ORDER = ['seq', 'par', 'sleepy', 'sus', 'retry'];

/** The result each chaos workflow must end with, for input n. */
export function expected(workflowId, n) {
  switch (workflowId) {
    case 'seq':
      return { v: (n + 1) * 2 + 3 };
    case 'par':
      return { v: 4 * n + 7 };
    case 'sleepy':
      return { v: (n + 5) * 2 };
    case 'sus':
      return { v: n + 100 };
    case 'retry':
      return { v: n - 1 };
  }
  throw new Error(workflowId);
}

export function chaosWorkflows(log) {
  const d = () => 10 + Math.floor(Math.random() * 40);
  const seq = createWorkflow({ id: 'seq', inputSchema: N, outputSchema: z.any() })
    .then(tracked(log, 'a', (x) => ({ v: x.n + 1 }), d))
    .then(tracked(log, 'b', (x) => ({ v: x.v * 2 }), d))
    .then(tracked(log, 'c', (x) => ({ v: x.v + 3 }), d))
    .commit();
  const par = createWorkflow({ id: 'par', inputSchema: N, outputSchema: z.any() })
    .parallel([tracked(log, 'p1', (x) => x.n * 3, d), tracked(log, 'p2', (x) => x.n + 7, d)])
    .then(tracked(log, 'join', (x) => ({ v: x.p1 + x.p2 }), d))
    .commit();
  const sleepy = createWorkflow({ id: 'sleepy', inputSchema: N, outputSchema: z.any() })
    .then(tracked(log, 's1', (x) => ({ v: x.n + 5 }), d))
    .sleep(250)
    .then(tracked(log, 's2', (x) => ({ v: x.v * 2 }), d))
    .commit();
  const sus = createWorkflow({ id: 'sus', inputSchema: N, outputSchema: z.any() })
    .then(tracked(log, 'before', (x) => ({ v: x.n }), d))
    .then(
      tracked(log, 'approve', (x, ctx) => (ctx.resumeData ? { v: x.v } : ctx.suspend({ waiting: true })), d, {
        resumeSchema: z.object({ ok: z.boolean() }),
      }),
    )
    .then(tracked(log, 'after', (x) => ({ v: x.v + 100 }), d))
    .commit();
  const retry = createWorkflow({ id: 'retry', inputSchema: N, outputSchema: z.any() })
    .then(
      tracked(
        log,
        'flaky',
        (x, ctx) => {
          if (ctx.retryCount === 0) throw new Error('first attempt fails');
          return { v: x.n - 1 };
        },
        d,
        { retries: 2 },
      ),
    )
    .commit();
  return { seq, par, sleepy, sus, retry };
}

/** Flow control: at most 3 runs at once per customer. */
export function flowWorkflows(log) {
  const d = () => 15 + Math.floor(Math.random() * 25);
  const limited = createWorkflow({
    id: 'limited',
    inputSchema: z.object({ customer: z.string(), n: z.number() }),
    outputSchema: z.any(),
    concurrency: { limit: 3, key: (input) => input.customer },
  })
    .then(tracked(log, 'l1', (x) => ({ ...x, v: x.n + 1 }), d))
    .then(tracked(log, 'l2', (x) => ({ v: x.v * 2 }), d))
    .commit();
  return { limited };
}

/**
 * Flow control declared on workflows (test/workers/flow-limits.test.ts): a throttle, a rate limit that
 * skips, a debounce, a singleton (skip), a batch and an idempotency window, each with a keyed step.
 */
export function limitsWorkflows(log) {
  const K = z.object({ k: z.string(), n: z.number() });
  const step = (id, ms) => tracked(log, id, (x) => ({ got: x }), ms);
  const wf = (id, flow, ms = 30) => createWorkflow({ id, inputSchema: K, outputSchema: z.any(), ...flow }).then(step(`${id}-s`, ms)).commit();
  const byK = (x) => x.k;
  return {
    throttled: wf('throttled', { throttle: { limit: 5, period: 1000, key: byK } }),
    rated: wf('rated', { rateLimit: { limit: 10, period: 2000, key: byK } }),
    debounced: wf('debounced', { debounce: { period: 5000, key: byK } }),
    single: wf('single', { singleton: { mode: 'skip', key: byK } }, 80),
    batched: createWorkflow({ id: 'batched', inputSchema: K, outputSchema: z.any(), batch: { maxSize: 10, timeout: 1000, key: byK } })
      .then(tracked(log, 'batched-s', (xs) => ({ got: xs }), 30))
      .commit(),
    idem: wf('idem', { idempotency: { ttl: '1h' } }),
  };
}

/** Cron: one run per second. */
export function cronWorkflows(log) {
  const tick = createWorkflow({
    id: 'tick',
    inputSchema: z.object({ label: z.string() }),
    outputSchema: z.any(),
    schedule: { cron: '* * * * * *', inputData: { label: 'every-second' } },
  })
    .then(tracked(log, 'fire', (x) => ({ label: x.label }), 5))
    .commit();
  return { tick };
}

/** Control: a long step that waits on its abortSignal; a quick workflow for start() from a client. */
export function controlWorkflows(log) {
  const long = createStep({
    id: 'long',
    inputSchema: z.any(),
    outputSchema: z.any(),
    execute: async ({ runId, abortSignal, inputData }) => {
      const t0 = Date.now();
      log(`S\t${runId}/long\t${process.pid}\t${t0}`);
      const ms = inputData?.ms ?? 20_000;
      const aborted = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        abortSignal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve(true);
          },
          { once: true },
        );
      });
      if (aborted) {
        log(`A\t${runId}/long\t${process.pid}\t${t0}\t${Date.now()}`);
        throw abortSignal.reason;
      }
      log(`E\t${runId}/long\t${process.pid}\t${t0}\t${Date.now()}`);
      return { done: true };
    },
  });
  const slow = createWorkflow({ id: 'slow', inputSchema: z.any(), outputSchema: z.any() }).then(long).commit();
  const quick = createWorkflow({ id: 'quick', inputSchema: N, outputSchema: z.any() })
    .then(tracked(log, 'q1', (x) => ({ v: x.n + 1 }), 100))
    .then(tracked(log, 'q2', (x) => ({ v: x.v * 10 }), 100))
    .commit();
  const gate = createWorkflow({ id: 'gate', inputSchema: N, outputSchema: z.any() })
    .then(
      tracked(log, 'wait', (x, ctx) => (ctx.resumeData ? { v: x.n + ctx.resumeData.add } : ctx.suspend({})), 5, {
        resumeSchema: z.object({ add: z.number() }),
      }),
    )
    .commit();
  const once = createWorkflow({ id: 'once', inputSchema: N, outputSchema: z.any() })
    .then(tracked(log, 'o1', (x) => ({ v: x.n }), 20))
    .commit();
  return { slow, quick, gate, once };
}

export const WORKFLOW_SETS = { chaos: chaosWorkflows, flow: flowWorkflows, limits: limitsWorkflows, cron: cronWorkflows, control: controlWorkflows };
