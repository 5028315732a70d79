import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Weft, createStep, createWorkflow, sqliteStore } from '../../src/index.js';
import { createClient, type StreamEvent } from '../../src/client/index.js';
import { serve, type WeftServer } from '../../src/server/index.js';
import { waitUntil } from '../support/wait.js';
import { appliedOutputs, outputsOf, readUntil, strictlyIncreasing, type SseMessage } from '../durability/stream-sse.js';
import { streamWorkflow, TOKENS } from '../durability/stream-workflow.mjs';

/**
 * A run's stream followed across a server restart (docs/api.md, "Run events"): a worker (its own
 * engine) streams a step's chunks into a SQLite file; the server reading that file is stopped mid-
 * stream and a new one started on the same file and port. The typed client's watch() and a raw SSE
 * reader (reconnecting with Last-Event-ID) both get every event once, in order, with no gap.
 */
const TOKS = Array.from({ length: TOKENS }, (_, i) => `tok-${i}`);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const talk = () => streamWorkflow({ createStep, createWorkflow, z }, { gapMs: 20 });

async function startServer(path: string, port = 0): Promise<{ weft: Weft; server: WeftServer }> {
  const weft = new Weft({ workflows: { talk: talk() }, store: sqliteStore({ path }), worker: false, onError: () => {} });
  return { weft, server: await serve(weft, { port, eventPollMs: 50, onError: () => {} }) };
}

describe('a run stream across a server restart', () => {
  it('the typed client and an SSE reader follow it with no gap and no duplicate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-stream-restart-'));
    dirs.push(dir);
    const path = join(dir, 'w.db');
    const worker = new Weft({ workflows: { talk: talk() }, store: sqliteStore({ path }), worker: { pollMs: 20 }, onError: () => {} });
    let a = await startServer(path);
    const port = Number(new URL(a.server.url).port);
    try {
      const run = await worker.getWorkflow('talk').createRun({ runId: 'talk-restart' });
      await run.startAsync({ inputData: { text: 'hi' } });

      const client = createClient({ baseUrl: a.server.url });
      const viaClient: StreamEvent[] = [];
      const remote = await client.getWorkflow('talk').createRun({ runId: 'talk-restart' });
      const watching = (async () => {
        for await (const e of remote.watch({ reconnectDelayMs: 20, maxReconnects: 500 })) viaClient.push(e);
      })();
      const url = `${a.server.url}/api/weft/workflows/talk/runs/talk-restart/events`;
      // The raw reader: reads a few chunks from the first server; its connection ends when the server stops.
      const seen: SseMessage[] = [];
      const rawFirst = readUntil(url, {}, () => false, seen);
      await waitUntil(() => viaClient.filter((e) => e.type === 'workflow-step-output').length >= 8 && outputsOf(seen).length >= 8, { message: 'both readers to have 8 chunks' });
      await a.server.close();
      await a.weft.stop({ timeoutMs: 200 });
      const part1 = await rawFirst;
      expect(part1.ended).toBe(false);
      expect(outputsOf(part1.msgs).length).toBeGreaterThanOrEqual(8);
      expect(outputsOf(part1.msgs).length).toBeLessThan(TOKENS);
      // A new server on the same file and port: nothing of the old one's memory survives.
      a = await startServer(path, port);
      const part2 = await readUntil(url, { 'last-event-id': part1.msgs.at(-1)!.id! }, () => false);
      await watching;

      const raw: SseMessage[] = [...part1.msgs, ...part2.msgs];
      const rawIds = raw.filter((m) => m.id).map((m) => m.id!);
      expect(part2.ended).toBe(true);
      expect(new Set(rawIds).size).toBe(rawIds.length);
      expect(strictlyIncreasing(rawIds)).toBe(true);
      expect(outputsOf(raw)).toEqual(TOKS);
      expect(appliedOutputs(raw)).toEqual(TOKS);

      const clientIds = viaClient.map((e) => e.id);
      expect(new Set(clientIds).size).toBe(clientIds.length);
      expect(strictlyIncreasing(clientIds)).toBe(true);
      expect(viaClient.filter((e) => e.type === 'workflow-step-output').map((e) => e.payload.output)).toEqual(TOKS);
      expect(viaClient.at(-1)?.type).toBe('workflow-finish');
      // Both readers saw the one stream a new reader gets.
      expect(clientIds).toEqual(rawIds);
    } finally {
      await a.server.close();
      await a.weft.stop({ timeoutMs: 200 });
      await worker.stop({ timeoutMs: 200 });
    }
  }, 60_000);
});
