import { z } from 'zod';
import { createStep, createWorkflow } from '../index.js';

/**
 * An order that waits for its payment webhook: started by an `order.placed` event, it reserves stock,
 * then waits (durably, holding nothing) for a `payment.received` event with the order's id as key. The
 * payment provider's webhook (or `weft events send payment.received --key <orderId> --data '{"amount":..}'`)
 * ends the wait; after 48 hours without payment the order is released instead.
 */
const order = z.object({ orderId: z.string(), amount: z.number().positive() });
const reserved = order.extend({ reservation: z.string() });
const payment = z.object({ amount: z.number().positive(), provider: z.string().optional() });

const reserve = createStep({
  id: 'reserve-stock',
  inputSchema: order,
  outputSchema: reserved,
  execute: async ({ inputData }) => ({ ...inputData, reservation: `res-${inputData.orderId}` }),
});

const settle = createStep({
  id: 'settle-payment',
  description: 'Runs when the payment arrives, or at the timeout',
  inputSchema: reserved,
  outputSchema: z.object({ orderId: z.string(), status: z.enum(['paid', 'underpaid', 'expired']), paid: z.number() }),
  resumeSchema: payment,
  execute: async ({ inputData, resumeData, timedOut }) => {
    if (timedOut || !resumeData) return { orderId: inputData.orderId, status: 'expired' as const, paid: 0 };
    return { orderId: inputData.orderId, status: resumeData.amount >= inputData.amount ? ('paid' as const) : ('underpaid' as const), paid: resumeData.amount };
  },
});

export const orderPayment = createWorkflow({
  id: 'order-payment',
  description: 'Waits for the payment webhook (by order id) or expires after 48 h',
  inputSchema: order,
  outputSchema: z.object({ orderId: z.string(), status: z.enum(['paid', 'underpaid', 'expired']), paid: z.number() }),
  triggers: [{ event: 'order.placed' }],
  metadata: { exampleInput: { orderId: 'A-1001', amount: 42 } },
})
  .then(reserve)
  .waitForEvent('payment.received', settle, { match: { key: ({ inputData }) => inputData.orderId }, timeout: '48h' })
  .commit();

/**
 * A document review decided by the first of two events, `review.approved` or `review.rejected`, keyed by
 * the document id: whichever arrives first wins and the step sees which one it was.
 */
const review = z.object({ documentId: z.string(), title: z.string() });
const decide = createStep({
  id: 'record-decision',
  inputSchema: review,
  outputSchema: z.object({ documentId: z.string(), decision: z.string(), by: z.string().optional() }),
  resumeSchema: z.object({ by: z.string().optional(), note: z.string().optional() }),
  execute: async ({ inputData, event, resumeData }) => ({
    documentId: inputData.documentId,
    decision: event?.name === 'review.approved' ? 'approved' : event?.name === 'review.rejected' ? 'rejected' : 'no decision',
    ...(resumeData?.by ? { by: resumeData.by } : {}),
  }),
});

export const documentReview = createWorkflow({
  id: 'document-review',
  description: 'Waits for review.approved or review.rejected (by document id), up to 7 days',
  inputSchema: review,
  outputSchema: z.object({ documentId: z.string(), decision: z.string(), by: z.string().optional() }),
  metadata: { exampleInput: { documentId: 'doc-7', title: 'Q3 report' } },
})
  .waitForEvent(['review.approved', 'review.rejected'], decide, { match: { key: ({ inputData }) => inputData.documentId }, timeout: '7d' })
  .commit();
