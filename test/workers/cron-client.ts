import { z } from 'zod';
import { createStep, createWorkflow } from '../../src/index.js';

/** The client's copy of the cron workflow of workflows.mjs (same id, schema and schedule). */
export const tick = createWorkflow({
  id: 'tick',
  inputSchema: z.object({ label: z.string() }),
  outputSchema: z.any(),
  schedule: { cron: '* * * * * *', inputData: { label: 'every-second' } },
})
  .then(createStep({ id: 'fire', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ inputData }) => inputData }))
  .commit();
