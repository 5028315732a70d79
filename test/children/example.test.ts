import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteStore, Weft } from '../../src/index.js';
import { documentArchive, documentPipeline } from '../../src/examples/index.js';

/** The document-archive example (served by `weft dev`): one document-pipeline child run per batch. */
const dir = mkdtempSync(join(tmpdir(), 'weft-archive-'));
const weft = new Weft({ store: sqliteStore({ path: join(dir, 'w.db') }), workflows: { 'document-archive': documentArchive, 'document-pipeline': documentPipeline }, worker: { pollMs: 20 } });
afterAll(async () => {
  await weft.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('example: document-archive', () => {
  it('runs each batch as a child run and merges their summaries', async () => {
    const input = (documentArchive.metadata as { exampleInput: { batches: unknown[] } }).exampleInput;
    const run = await documentArchive.createRun();
    const res = await run.start({ inputData: input as never });
    expect(res).toMatchObject({ status: 'success', result: { batches: 2, documents: 3 } });
    const links = await weft.getRunLinks(run.runId);
    expect(links.children.map((c) => c.path).sort()).toEqual(['process-batches@child0', 'process-batches@child1']);
    for (const c of links.children) expect((await weft.getRun(c.runId))).toMatchObject({ status: 'success', workflowName: 'document-pipeline' });
  });
});
