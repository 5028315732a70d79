import { z } from 'zod';
import { createStep, createWorkflow } from '../index.js';

/**
 * Expense approval: requests above the auto-approval limit suspend for a human, who resumes the run
 * (from the dashboard's form, the CLI or the API) with `{ "approved": true|false, "comment"?: string }`.
 */
const request = z.object({ employee: z.string(), amount: z.number().positive(), reason: z.string() });
const decision = z.object({ approved: z.boolean(), approver: z.string(), comment: z.string().optional() });

const review = createStep({
  id: 'manager-review',
  description: 'Auto-approves small amounts; otherwise waits for a manager',
  inputSchema: request,
  outputSchema: decision,
  resumeSchema: z.object({ approved: z.boolean(), comment: z.string().optional() }),
  suspendSchema: z.object({ question: z.string(), amount: z.number() }),
  execute: async ({ inputData, resumeData, suspend }) => {
    if (inputData.amount <= 100) return { approved: true, approver: 'auto' };
    if (!resumeData) return suspend({ question: `Approve ${inputData.amount} for ${inputData.employee}: ${inputData.reason}?`, amount: inputData.amount });
    return { approved: resumeData.approved, approver: 'manager', comment: resumeData.comment };
  },
});

const notify = createStep({
  id: 'notify-employee',
  inputSchema: decision,
  outputSchema: z.object({ message: z.string(), approved: z.boolean() }),
  execute: async ({ inputData }) => ({
    approved: inputData.approved,
    message: inputData.approved ? `Approved by ${inputData.approver}` : `Rejected${inputData.comment ? `: ${inputData.comment}` : ''}`,
  }),
});

export const approval = createWorkflow({
  id: 'expense-approval',
  description: 'Suspends for a human decision above 100',
  inputSchema: request,
  outputSchema: z.object({ message: z.string(), approved: z.boolean() }),
  metadata: { exampleInput: { employee: 'grace', amount: 420, reason: 'conference ticket' } },
})
  .then(review)
  .then(notify)
  .commit();
