import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, sqliteStore, type Store } from '../../src/index.js';
import { makeWeft, uid } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-loops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const Conversation = z.object({ messages: z.array(z.object({ role: z.string(), text: z.string(), turn: z.number() })), turns: z.number() });
type Conv = z.infer<typeof Conversation>;

const message = (turn: number) => ({ role: turn % 2 ? 'user' : 'assistant', text: `turn ${turn}: ${'m'.repeat(1000)}`, turn });

/** The agent-loop shape: each turn returns the whole conversation with one more ~1 KB message. */
function chat(id: string, turns: number) {
  const turn = createStep({
    id: 'turn',
    inputSchema: Conversation,
    outputSchema: Conversation,
    execute: async ({ inputData }) => ({ messages: [...inputData.messages, message(inputData.turns)], turns: inputData.turns + 1 }),
  });
  return createWorkflow({ id, inputSchema: Conversation, outputSchema: Conversation })
    .dountil(turn, async ({ inputData }) => inputData.turns >= turns)
    .commit();
}

/** Bytes the run's data takes in the database: journal values and blobs (SQLite's own page use aside). */
function storedBytes(path: string): { journal: number; blobs: number; rows: number } {
  const db = new Database(path, { readonly: true });
  try {
    const j = db.prepare(`SELECT COUNT(*) AS rows, COALESCE(SUM(LENGTH(input)), 0) + COALESCE(SUM(LENGTH(output)), 0) + COALESCE(SUM(LENGTH(meta)), 0) AS n FROM journal`).get() as { rows: number; n: number };
    const b = db.prepare(`SELECT COALESCE(SUM(LENGTH(data)), 0) AS n FROM blobs`).get() as { n: number };
    return { journal: j.n, blobs: b.n, rows: j.rows };
  } finally {
    db.close();
  }
}

async function runChat(store: Store, turns: number, opts: { loopHistory?: number } = {}): Promise<{ result: Conv; runId: string }> {
  const wf = chat(uid('chat'), turns);
  makeWeft({ [wf.id]: wf }, { store, ...opts });
  const run = await wf.createRun();
  const res = await run.start({ inputData: { messages: [], turns: 0 } });
  expect(res.status).toBe('success');
  return { result: (res as { result: Conv }).result, runId: run.runId };
}

describe('long agent loops', () => {
  it('a 1,000-turn loop on SQLite stores bytes that grow linearly with the turns (bounded bytes per turn)', async () => {
    const sizes: { turns: number; perTurn: number }[] = [];
    for (const turns of [250, 1000]) {
      const path = join(dir, `${uid('chat')}.db`);
      const { result } = await runChat(sqliteStore({ path }), turns);
      expect(result.turns).toBe(turns);
      expect(result.messages).toHaveLength(turns);
      expect(result.messages[turns - 1]).toEqual(message(turns - 1));
      const s = storedBytes(path);
      // The run row's result holds the final conversation once (~1 KB per turn): counted apart.
      sizes.push({ turns, perTurn: (s.journal + s.blobs) / turns });
    }
    const [small, large] = [sizes[0]!, sizes[1]!];
    // Linear: bytes per turn do not grow with the number of turns (quadratic storage would make the
    // 1,000-turn run's bytes per turn ~4x the 250-turn run's), and stay a few times the 1 KB message.
    expect(large.perTurn).toBeLessThan(small.perTurn * 1.3);
    expect(large.perTurn).toBeLessThan(6_000);
    // 1,250 durable turns on a machine shared with other work: a generous limit, not a speed check.
  }, 120_000);

  it('keeps only the last loopHistory iterations with values, and the run still recovers from its journal', async () => {
    const path = join(dir, `${uid('chat')}.db`);
    const { runId, result } = await runChat(sqliteStore({ path }), 30, { loopHistory: 5 });
    const store = sqliteStore({ path });
    await store.open();
    try {
      const rows = await store.loadJournal(runId);
      const turnRows = rows.filter((r) => r.path.endsWith('/turn'));
      expect(turnRows).toHaveLength(30);
      const kept = turnRows.filter((r) => r.output !== null);
      // Compacted every 5 iterations: after the 30th, iterations 26-30 keep their values.
      expect(kept.map((r) => Number(/\[(\d+)\]\/turn$/.exec(r.path)![1]))).toEqual([26, 27, 28, 29, 30]);
      // The kept outputs read back as exactly what the steps returned.
      expect(JSON.parse(kept[4]!.output!)).toEqual(result);
      expect(rows.filter((r) => r.kind === 'decision')).toHaveLength(30);
    } finally {
      await store.close();
    }
  });

  it('a run over its maxRunBytes budget fails the step that would exceed it with RUN_BUDGET_EXCEEDED, not retried', async () => {
    let calls = 0;
    const grow = createStep({
      id: 'grow',
      inputSchema: z.object({ n: z.number() }),
      outputSchema: z.any(),
      retries: 2,
      execute: async () => (calls++, { items: Array.from({ length: 40 }, (_, i) => ({ i, text: `${i} ${'z'.repeat(2000)}` })) }),
    });
    const wf = createWorkflow({ id: uid('budget'), inputSchema: z.object({ n: z.number() }), outputSchema: z.any() }).then(grow).commit();
    makeWeft({ [wf.id]: wf }, { store: memoryStore(), maxRunBytes: 50_000 });
    const res = await (await wf.createRun()).start({ inputData: { n: 1 } });
    expect(res.status).toBe('failed');
    if (res.status !== 'failed') return;
    expect(res.error).toMatchObject({ code: 'RUN_BUDGET_EXCEEDED', message: expect.stringMatching(/output of step "grow" would bring the run's stored values to \d+ bytes, over its budget of 50000/) });
    expect(calls).toBe(1);
  });

  it('deleting a run deletes its blobs (memory and SQLite)', async () => {
    const path = join(dir, `${uid('chat')}.db`);
    for (const store of [memoryStore(), sqliteStore({ path })]) {
      const { runId } = await runChat(store, 12);
      expect(await store.blobBytes(runId)).toBeGreaterThan(10_000);
      expect(await store.deleteRun(runId)).toBe(true);
      expect(await store.blobBytes(runId)).toBe(0);
    }
    expect(storedBytes(path).blobs).toBe(0);
  });
});
