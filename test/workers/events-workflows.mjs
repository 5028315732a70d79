// The workflows of the multi-process events tests, shared by the worker processes and the test itself.
import { z } from 'zod';
import { createStep, createWorkflow } from '../../dist/index.js';

export function eventWorkflows() {
  const settle = createStep({
    id: 'settle',
    inputSchema: z.object({ orderId: z.string() }),
    outputSchema: z.any(),
    resumeSchema: z.object({ amount: z.number() }),
    execute: async ({ inputData, resumeData, event }) => ({ orderId: inputData.orderId, amount: resumeData.amount, eventId: event?.id }),
  });
  const pay = createWorkflow({ id: 'pay', inputSchema: z.object({ orderId: z.string() }), outputSchema: z.any() })
    .waitForEvent('payment', settle, { match: { key: ({ inputData }) => inputData.orderId } })
    .commit();
  return { pay };
}
