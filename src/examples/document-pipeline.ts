import { z } from 'zod';
import { createStep, createWorkflow } from '../index.js';

/** Document pipeline: split a batch into documents, process them with `foreach` (3 at a time), summarise. */
const doc = z.object({ name: z.string(), text: z.string() });
const processed = z.object({ name: z.string(), words: z.number(), keywords: z.array(z.string()) });

const splitBatch = createStep({
  id: 'split-batch',
  inputSchema: z.object({ documents: z.array(doc).min(1) }),
  outputSchema: z.array(doc),
  execute: async ({ inputData }) => inputData.documents,
});

const analyse = createStep({
  id: 'analyse-document',
  description: 'Counts words and extracts the most frequent long words',
  inputSchema: doc,
  outputSchema: processed,
  execute: async ({ inputData }) => {
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    const words = inputData.text.toLowerCase().match(/[a-z]+/g) ?? [];
    const counts = new Map<string, number>();
    for (const w of words) if (w.length > 4) counts.set(w, (counts.get(w) ?? 0) + 1);
    const keywords = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([w]) => w);
    return { name: inputData.name, words: words.length, keywords };
  },
});

const summarise = createStep({
  id: 'summarise',
  inputSchema: z.array(processed),
  outputSchema: z.object({ documents: z.number(), totalWords: z.number(), keywords: z.array(z.string()) }),
  execute: async ({ inputData }) => ({
    documents: inputData.length,
    totalWords: inputData.reduce((n, d) => n + d.words, 0),
    keywords: [...new Set(inputData.flatMap((d) => d.keywords))],
  }),
});

export const documentPipeline = createWorkflow({
  id: 'document-pipeline',
  description: 'foreach over documents with concurrency 3',
  inputSchema: z.object({ documents: z.array(doc).min(1) }),
  outputSchema: z.object({ documents: z.number(), totalWords: z.number(), keywords: z.array(z.string()) }),
  metadata: {
    exampleInput: {
      documents: [
        { name: 'a.txt', text: 'Durable workflows survive crashes because every result is journaled.' },
        { name: 'b.txt', text: 'A journal records results so recovery replays finished steps.' },
        { name: 'c.txt', text: 'Workers claim runs with leases; fencing stops zombie workers.' },
        { name: 'd.txt', text: 'Dashboards show timelines of steps and their durations.' },
      ],
    },
  },
})
  .then(splitBatch)
  .foreach(analyse, { concurrency: 3 })
  .then(summarise)
  .commit();
