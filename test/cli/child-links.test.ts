import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentArchive, documentPipeline } from '../../src/examples/index.js';
import { startHarness, type Harness } from '../server/harness.js';
import { waitUntil } from '../support/wait.js';
import { ensureBuilt, weft } from './helpers.js';

/** `weft runs links` for a parent and its child runs (the document-archive example on a real server). */
let h: Harness;
beforeAll(async () => {
  ensureBuilt();
  h = await startHarness({ workflows: { 'document-archive': documentArchive, 'document-pipeline': documentPipeline } });
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('weft runs links with child runs', { timeout: 60_000 }, () => {
  it('lists a parent child runs, and names a child parent', async () => {
    const input = (documentArchive.metadata as { exampleInput: unknown }).exampleInput;
    await h.api('/workflows/document-archive/runs', { method: 'POST', json: { runId: 'archive-1', inputData: input } });
    await waitUntil(async () => (await h.api('/workflows/document-archive/runs/archive-1')).body?.view?.status === 'success', { message: 'archive done' });
    const parent = await weft(['runs', 'links', 'archive-1', '--url', h.url]);
    expect(parent.code).toBe(0);
    expect(parent.stdout).toMatch(/CHILD RUN\s+STARTED BY STEP/);
    const children = [...parent.stdout.matchAll(/^(child-[0-9a-f]{32})\s+process-batches\s/gm)].map((m) => m[1]!);
    expect(children).toHaveLength(2);
    const child = await weft(['runs', 'links', children[0]!, '--url', h.url]);
    expect(child.stdout).toMatch(/^child run of archive-1, started by step process-batches$/m);
  });
});
