import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Weft, createStep, createWorkflow, postgresStore, sqliteStore, type Store } from '../../src/index.js';
import { serve } from '../../src/server/index.js';
import { runPhase } from './crash-harness.js';
import { appliedOutputs, outputsOf, readUntil, strictlyIncreasing } from './stream-sse.js';
import { streamWorkflow, TOKENS } from './stream-workflow.mjs';
import { waitUntil } from '../support/wait.js';

/**
 * Run streams survive kill -9 (docs/durability.md, "Run streams"): a worker streaming a step's chunks
 * is SIGKILLed mid-stream, another worker process takes the run over and finishes it. An SSE reader of
 * a real server (another engine on the same store, executing nothing) read up to some event, then
 * reconnects with Last-Event-ID: it gets every later event once, with a reset that voids exactly what
 * it had of the killed attempt, so what it keeps is the stream a new reader reads, with no gap and no
 * duplicate.
 */
const CHILD = fileURLToPath(new URL('./stream-child.mjs', import.meta.url));
const PG_URL = process.env.WEFT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOKS = Array.from({ length: TOKENS }, (_, i) => `tok-${i}`);

function chunksLogged(path: string): number {
  try {
    return readFileSync(path, 'utf8').split('\n').filter((l) => l.startsWith('chunk\t')).length;
  } catch {
    return 0;
  }
}

async function scenario(base: Record<string, string> & { LEDGER: string }, store: Store): Promise<void> {
  const env = { ...base, RUN_ID: 'talk-1', GAP_MS: '10' };
  const weft = new Weft({ workflows: { talk: streamWorkflow({ createStep, createWorkflow, z }) }, store, worker: false, onError: () => {} });
  const server = await serve(weft, { port: 0, onError: () => {} });
  try {
    let readerDone = false;
    const first = runPhase(CHILD, { ...env, PHASE: 'run' }, {
      killWhen: () => readerDone && chunksLogged(env.LEDGER) >= 30,
      killWhat: 'the reader to have read and 30 chunks to be written',
    });
    const url = `${server.url}/api/weft/workflows/talk/runs/talk-1/events`;
    // The run is created by the child: wait for it to exist, then read the first 10 chunks.
    // readUntil throws while the run does not exist yet (404); waitUntil asks again until it reads.
    const part1 = await waitUntil(() => readUntil(url, {}, (msgs) => outputsOf(msgs).length >= 10), { timeout: 30_000, message: 'the first 10 chunks over SSE' });
    expect(part1.ended).toBe(false);
    expect(outputsOf(part1.msgs)).toEqual(TOKS.slice(0, 10));
    readerDone = true;
    const killed = await first;
    expect(killed.signal).toBe('SIGKILL');
    const recover = await runPhase(CHILD, { ...env, PHASE: 'recover' }, { guardMs: 120_000 });
    expect(recover.code, recover.stderr).toBe(0);

    const lastId = part1.msgs.at(-1)!.id!;
    const part2 = await readUntil(url, { 'last-event-id': lastId }, () => false);
    expect(part2.ended).toBe(true);
    const ids = [...part1.msgs, ...part2.msgs].filter((m) => m.id).map((m) => m.id!);
    expect(new Set(ids).size).toBe(ids.length);
    expect(strictlyIncreasing(ids)).toBe(true);
    // The reset voids exactly what this reader had of the killed attempt: its start and chunks.
    const resets = part2.msgs.filter((m) => m.data.type === 'workflow-step-output-reset');
    expect(resets).toHaveLength(1);
    expect(resets[0]!.data.payload.voided).toEqual(part1.msgs.filter((m) => m.data.type === 'workflow-step-output' || m.data.type === 'workflow-step-start').map((m) => m.id));
    // What the reader keeps is every chunk once, in order, and the run's end.
    expect(appliedOutputs([...part1.msgs, ...part2.msgs])).toEqual(TOKS);
    expect(part2.msgs.filter((m) => m.id).at(-1)?.data.payload.workflowStatus).toBe('success');

    // A reader from the start now: the same chunks, once, no reset, ids increasing; and from any id of
    // it, exactly the rest.
    const full = await readUntil(url, {}, () => false);
    const fullIds = full.msgs.filter((m) => m.id).map((m) => m.id!);
    expect(outputsOf(full.msgs)).toEqual(TOKS);
    expect(full.msgs.some((m) => m.data.type === 'workflow-step-output-reset')).toBe(false);
    expect(strictlyIncreasing(fullIds)).toBe(true);
    for (const k of [0, 5, 30, fullIds.length - 2]) {
      const tail = await readUntil(url, { 'last-event-id': fullIds[k]! }, () => false);
      expect(tail.msgs.filter((m) => m.id).map((m) => m.id)).toEqual(fullIds.slice(k + 1));
    }
  } finally {
    await server.close();
    await weft.stop({ timeoutMs: 200 });
  }
}

describe('a run stream survives kill -9 of the worker writing it, read over SSE with Last-Event-ID', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('on SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-stream-crash-'));
    dirs.push(dir);
    const path = join(dir, 'w.db');
    await scenario({ STORE: 'sqlite', DB_PATH: path, LEDGER: join(dir, 'ledger.tsv') }, sqliteStore({ path }));
  }, 240_000);

  it('on PostgreSQL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-stream-crash-'));
    dirs.push(dir);
    const schema = `stream_crash_${process.pid}`;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await scenario({ STORE: 'postgres', PG_URL, PG_SCHEMA: schema, LEDGER: join(dir, 'ledger.tsv') }, postgresStore({ connectionString: PG_URL, schema }));
    } finally {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  }, 240_000);
});
