import { z } from 'zod';
import { createStep, createWorkflow } from '../../src/index.js';

/**
 * Workflows for the dashboard's daily-use tests and screenshots: a checkout whose charge fails once
 * ("payment gateway timed out") then succeeds, sleeps, and waits for an approval built from its resume
 * schema; a packing run with a foreach and a nested workflow; a run that fails with a code and a cause;
 * a long nap (a sleep to watch); and `hold`, which suspends at once (for thousands of runs).
 */
export function dailyWorkflows() {
  const order = z.object({
    customer: z.string().describe('Who pays'),
    amount: z.number().describe('In euros'),
    express: z.boolean(),
    plan: z.enum(['free', 'pro']),
  });
  const charge = createStep({
    id: 'charge',
    description: 'Charges the card through the payment gateway',
    inputSchema: order,
    outputSchema: order.extend({ receipt: z.string() }),
    execute: async ({ inputData, retryCount }) => {
      if (retryCount < 1) throw Object.assign(new Error('payment gateway timed out'), { code: 'GATEWAY_TIMEOUT' });
      return { ...inputData, receipt: `r-${inputData.customer}` };
    },
  });
  const approve = createStep({
    id: 'approve',
    description: 'A person approves large orders',
    inputSchema: order.extend({ receipt: z.string() }),
    outputSchema: z.object({ approved: z.boolean(), note: z.string() }),
    resumeSchema: z.object({ approved: z.boolean(), note: z.string().describe('Why') }),
    suspendSchema: z.object({ question: z.string() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return suspend({ question: `approve ${inputData.amount} € for ${inputData.customer}?` });
      return resumeData;
    },
  });
  const checkout = createWorkflow({
    id: 'checkout',
    description: 'Charge, wait a moment, ask for approval',
    inputSchema: order,
    outputSchema: z.object({ approved: z.boolean(), note: z.string() }),
    retryConfig: { attempts: 2, delay: 20 },
    metadata: { exampleInput: { customer: 'ada', amount: 42, express: true, plan: 'pro' } },
  })
    .then(charge)
    .sleep(200)
    .then(approve)
    .commit();

  const label = createStep({
    id: 'label',
    description: 'Prints the shipping label',
    inputSchema: z.array(z.object({ item: z.string(), packed: z.boolean() })),
    outputSchema: z.object({ labels: z.number() }),
    execute: async ({ inputData }) => ({ labels: inputData.length }),
  });
  const ship = createWorkflow({ id: 'ship', inputSchema: z.array(z.object({ item: z.string(), packed: z.boolean() })), outputSchema: z.object({ labels: z.number() }) })
    .then(label)
    .commit();
  const pack = createStep({
    id: 'pack',
    description: 'Packs one item',
    inputSchema: z.string(),
    outputSchema: z.object({ item: z.string(), packed: z.boolean() }),
    execute: async ({ inputData }) => ({ item: inputData, packed: true }),
  });
  const packing = createWorkflow({ id: 'packing', inputSchema: z.object({ items: z.array(z.string()) }), outputSchema: z.object({ labels: z.number() }) })
    .map(async ({ inputData }) => inputData.items)
    .foreach(pack, { concurrency: 2 })
    .then(ship)
    .commit();

  const explode = createStep({
    id: 'explode',
    inputSchema: z.object({}),
    outputSchema: z.object({}),
    execute: async () => {
      const cause = Object.assign(new Error('connection reset by peer'), { code: 'ECONNRESET' });
      throw Object.assign(new Error('inventory service unavailable', { cause }), { code: 'INVENTORY_DOWN', retryable: false });
    },
  });
  const broken = createWorkflow({ id: 'broken', inputSchema: z.object({}), outputSchema: z.object({}) }).then(explode).commit();

  const nap = createWorkflow({ id: 'nap', inputSchema: z.object({}), outputSchema: z.object({}) }).sleep(3_600_000).commit();

  const ask = createStep({
    id: 'ask',
    inputSchema: z.object({ n: z.number() }),
    outputSchema: z.object({ ok: z.boolean() }),
    resumeSchema: z.object({ ok: z.boolean() }),
    execute: async ({ resumeData, suspend }) => (resumeData ? { ok: resumeData.ok } : suspend({ n: 'waiting' })),
  });
  const hold = createWorkflow({ id: 'hold', inputSchema: z.object({ n: z.number() }), outputSchema: z.object({ ok: z.boolean() }) }).then(ask).commit();

  return { checkout, packing, broken, nap, hold };
}
