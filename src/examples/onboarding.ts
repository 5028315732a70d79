import { z } from 'zod';
import { createStep, createWorkflow } from '../index.js';

/** Onboarding: a parent workflow that nests a reusable `provision-account` workflow as one of its steps. */
const user = z.object({ userId: z.string(), email: z.string().email() });
const account = z.object({ userId: z.string(), email: z.string(), workspaceId: z.string(), mailbox: z.string() });

const createWorkspace = createStep({
  id: 'create-workspace',
  inputSchema: user,
  outputSchema: user.extend({ workspaceId: z.string() }),
  execute: async ({ inputData }) => ({ ...inputData, workspaceId: `ws-${inputData.userId}` }),
});

const createMailbox = createStep({
  id: 'create-mailbox',
  inputSchema: user.extend({ workspaceId: z.string() }),
  outputSchema: account,
  execute: async ({ inputData }) => ({ ...inputData, mailbox: `${inputData.userId}@mail.example.com` }),
});

export const provisionAccount = createWorkflow({
  id: 'provision-account',
  description: 'Reusable sub-workflow: workspace then mailbox',
  inputSchema: user,
  outputSchema: account,
})
  .then(createWorkspace)
  .then(createMailbox)
  .commit();

const sendWelcome = createStep({
  id: 'send-welcome',
  inputSchema: account,
  outputSchema: z.object({ sentTo: z.string(), workspaceId: z.string() }),
  execute: async ({ inputData }) => ({ sentTo: inputData.email, workspaceId: inputData.workspaceId }),
});

export const onboarding = createWorkflow({
  id: 'onboarding',
  description: 'Nests the provision-account workflow, then sends a welcome email',
  inputSchema: user,
  outputSchema: z.object({ sentTo: z.string(), workspaceId: z.string() }),
  metadata: { exampleInput: { userId: 'u-42', email: 'linus@example.com' } },
})
  .then(provisionAccount)
  .then(sendWelcome)
  .commit();
