import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStep, createWorkflow, memoryStore, sqliteStore, Weft } from '../../src/index.js';
import type { Store } from '../../src/index.js';
import { N, deferred, until, uid } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const STORES: Array<[string, () => Store]> = [
  ['memory', () => memoryStore()],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'weft-capacity-'));
      dirs.push(dir);
      return sqliteStore({ path: join(dir, 'weft.db') });
    },
  ],
];

describe.each(STORES)('worker concurrency on %s', (_name, makeStore) => {
  it('a burst of startAsync calls sharing one group commit never runs more than concurrency at once', async () => {
    const gate = deferred();
    let inside = 0;
    let most = 0;
    const hold = createStep({
      id: 'hold',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData }) => {
        inside++;
        most = Math.max(most, inside);
        await gate.promise;
        inside--;
        return inputData;
      },
    });
    const wf = createWorkflow({ id: uid('capacity'), inputSchema: N, outputSchema: N }).then(hold).commit();
    const weft = new Weft({ store: makeStore(), workflows: { wf }, worker: { concurrency: 4, pollMs: 20 } });
    try {
      // All 40 calls are issued before the first insert commits, so they all see the same free slots.
      const acks = await Promise.all(Array.from({ length: 40 }, (_, n) => wf.createRun().then((r) => r.startAsync({ inputData: { n } }))));
      // Every acknowledged run is stored: one created already claimed is 'running' from its insert on,
      // so an over-claim shows in the store at once, whether or not its step has started yet.
      const running = await weft.listRuns({ workflowId: wf.id, status: 'running' });
      expect(running.total).toBe(4);
      expect((await weft.listRuns({ workflowId: wf.id, status: 'pending' })).total).toBe(36);
      await until(() => inside === 4, 5000, 'four runs holding');
      expect(most).toBe(4);
      gate.resolve();
      await until(
        async () => (await weft.listRuns({ workflowId: wf.id, status: 'success' })).total === acks.length,
        10000,
        'every run to finish',
      );
      expect(most).toBe(4);
    } finally {
      gate.resolve();
      await weft.stop({ timeoutMs: 1000 });
    }
  });
});
