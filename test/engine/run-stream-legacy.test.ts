import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, sqliteStore, Weft } from '../../src/index.js';

/**
 * Runs stored before stream positions existed (journal rows at position 0, SQLite 0012): their stream
 * reads in journal order, with ids that increase and that a reader can continue after.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('run streams of runs stored before stream positions', () => {
  it('read in journal order, ids increasing, every suffix exact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-stream-legacy-'));
    dirs.push(dir);
    const path = join(dir, 'w.db');
    const N = z.object({ n: z.number() });
    const inc = (id: string) => createStep({ id, inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
    let wf = createWorkflow({ id: 'legacy', inputSchema: N, outputSchema: N });
    for (let i = 0; i < 60; i++) wf = wf.then(inc(`s${i}`)) as typeof wf;
    const committed = wf.commit();
    const weft = new Weft({ workflows: { legacy: committed }, store: sqliteStore({ path }), onError: () => {} });
    const run = await committed.createRun();
    expect((await run.start({ inputData: { n: 0 } })).status).toBe('success');
    await weft.stop();
    const db = new Database(path);
    db.prepare('UPDATE journal SET pos = 0, first_pos = 0').run();
    db.close();
    const again = new Weft({ workflows: { legacy: committed }, store: sqliteStore({ path }), worker: false, onError: () => {} });
    try {
      const all = (await again.readRunStream(run.runId)).events;
      const types = all.map((e) => e.event.type);
      expect(types[0]).toBe('workflow-start');
      expect(types.at(-1)).toBe('workflow-finish');
      expect(all.filter((e) => e.event.type === 'workflow-step-result').map((e) => e.event.payload.id)).toEqual(Array.from({ length: 60 }, (_, i) => `s${i}`));
      const ks = all.map((e) => Number(e.id.split(':')[1]));
      expect(all.every((e) => e.id.startsWith('0:'))).toBe(true);
      expect(ks.every((k, i) => i === 0 || k > ks[i - 1]!)).toBe(true);
      for (const k of [0, 1, 50, all.length - 2]) {
        expect((await again.readRunStream(run.runId, { after: all[k]!.id })).events.map((e) => e.id)).toEqual(all.slice(k + 1).map((e) => e.id));
      }
    } finally {
      await again.stop();
    }
  });
});
