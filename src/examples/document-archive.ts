import { z } from 'zod';
import { createStep, createWorkflow } from '../index.js';
import { documentPipeline } from './document-pipeline.js';

/**
 * Document archive: each batch of documents goes through the document pipeline as a child run of its
 * own (its own status, retries and page in the dashboard, executed by any worker), all batches at once;
 * the archive waits without holding a worker slot and merges their summaries.
 */
const doc = z.object({ name: z.string(), text: z.string() });
const summary = z.object({ documents: z.number(), totalWords: z.number(), keywords: z.array(z.string()) });

const processBatches = createStep({
  id: 'process-batches',
  description: 'Starts one document-pipeline child run per batch and awaits them all',
  inputSchema: z.object({ batches: z.array(z.object({ documents: z.array(doc).min(1) })).min(1) }),
  outputSchema: z.array(summary),
  // Each call returns its child's result; a crash while the children run changes nothing (the
  // replayed step finds the same child runs).
  execute: async (ctx) => Promise.all(ctx.inputData.batches.map((batch) => ctx.startWorkflow(documentPipeline, batch))),
});

const merge = createStep({
  id: 'merge',
  inputSchema: z.array(summary),
  outputSchema: summary.extend({ batches: z.number() }),
  execute: async ({ inputData }) => ({
    batches: inputData.length,
    documents: inputData.reduce((n, s) => n + s.documents, 0),
    totalWords: inputData.reduce((n, s) => n + s.totalWords, 0),
    keywords: [...new Set(inputData.flatMap((s) => s.keywords))],
  }),
});

export const documentArchive = createWorkflow({
  id: 'document-archive',
  description: 'a child run of document-pipeline per batch (ctx.startWorkflow)',
  inputSchema: z.object({ batches: z.array(z.object({ documents: z.array(doc).min(1) })).min(1) }),
  outputSchema: summary.extend({ batches: z.number() }),
  metadata: {
    exampleInput: {
      batches: [
        { documents: [{ name: 'a.txt', text: 'Child runs have their own status, retries and history.' }] },
        { documents: [{ name: 'b.txt', text: 'A parent waiting for its children holds no worker slot.' }, { name: 'c.txt', text: 'Canceling a parent cancels its children.' }] },
      ],
    },
  },
})
  .then(processBatches)
  .then(merge)
  .commit();
