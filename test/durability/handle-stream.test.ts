import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Weft, createStep, createWorkflow, postgresStore, sqliteStore, type Store } from '../../src/index.js';
import { serve } from '../../src/server/index.js';
import type { WorkflowStreamChunk } from '../../src/define/stream-types.js';
import { waitUntil } from '../support/wait.js';
import { runPhase } from './crash-harness.js';
import { streamWorkflow, TOKENS } from './stream-workflow.mjs';

/**
 * A run handle's streams read the run's durable stream when the run executes in another engine or
 * process (docs/api.md, "Run handle streams"): every output chunk once, in order, then the finish;
 * after a SIGKILL of the worker mid-stream, only the chunks of the attempt that finished.
 */
const CHILD = fileURLToPath(new URL('./stream-child.mjs', import.meta.url));
const PG_URL = process.env.WEFT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOKS = Array.from({ length: TOKENS }, (_, i) => `tok-${i}`);

const outputs = (chunks: WorkflowStreamChunk[]) => chunks.filter((c) => c.type === 'workflow-step-output').map((c) => (c.payload as { output: unknown }).output);

async function collect(stream: AsyncIterable<WorkflowStreamChunk>, seen?: WorkflowStreamChunk[]): Promise<WorkflowStreamChunk[]> {
  const out = seen ?? [];
  for await (const c of stream) out.push(c);
  return out;
}

function chunksLogged(path: string): number {
  try {
    return readFileSync(path, 'utf8').split('\n').filter((l) => l.startsWith('chunk\t')).length;
  } catch {
    return 0;
  }
}

/** A step that suspends, and once resumed writes three chunks. */
function gatedWorkflow() {
  const T = z.object({ text: z.string() });
  const gate = createStep({
    id: 'gate',
    inputSchema: T,
    outputSchema: T,
    resumeSchema: z.object({ ok: z.boolean() }),
    execute: async ({ inputData, resumeData, suspend, writer }) => {
      if (!resumeData) return suspend({ why: 'approval' });
      for (const w of ['a', 'b', 'c']) await writer.write(w);
      return { text: `${inputData.text} approved` };
    },
  });
  return createWorkflow({ id: 'gated', inputSchema: T, outputSchema: T }).then(gate).commit();
}

/** Engine A executes the run; engine B (same store, executing nothing) observes it through a handle. */
async function twoEngines(storeA: Store, storeB: Store): Promise<void> {
  const log = () => {};
  const a = new Weft({ workflows: { talk: streamWorkflow({ createStep, createWorkflow, z }, { gapMs: 2, log }), gated: gatedWorkflow() }, store: storeA, worker: { pollMs: 20 }, onError: () => {} });
  const b = new Weft({ workflows: { talk: streamWorkflow({ createStep, createWorkflow, z }), gated: gatedWorkflow() }, store: storeB, worker: false, onError: () => {} });
  try {
    await a.start();
    await b.start();
    const runA = await a.getWorkflow('talk').createRun({ runId: 'two-1' });
    await runA.startAsync({ inputData: { text: 'hi' } });
    // Observed while A streams: what was stored is replayed, the rest followed.
    const handle = await b.getWorkflow('talk').createRun({ runId: 'two-1' });
    const live = await collect(handle.observeStream());
    expect(outputs(live)).toEqual(TOKS);
    expect(live.filter((c) => c.type === 'workflow-step-result')).toHaveLength(1);
    expect(live.at(-1)).toMatchObject({ type: 'workflow-finish', payload: { workflowStatus: 'success', result: { text: 'hi done' } } });
    expect(live.some((c) => c.type === 'workflow-step-output-reset')).toBe(false);
    // The output comes before the step's result, as a live stream has it.
    const resultAt = live.findIndex((c) => c.type === 'workflow-step-result');
    expect(live.findLastIndex((c) => c.type === 'workflow-step-output')).toBeLessThan(resultAt);
    // After the run ended: the same stream read back, and the handle's status followed it.
    const again = await collect(handle.observeStream());
    expect(again).toEqual(live);
    const legacy = (await b.getWorkflow('talk').createRun({ runId: 'two-1' })).observeStreamLegacy().stream;
    const types: string[] = [];
    for await (const c of legacy) types.push(c.type);
    expect(types).toEqual(['start', 'step-start', 'step-result', 'step-finish', 'finish']);

    // Mastra's /observe on a server of B, which has no live feed of the run: the durable stream, in
    // Mastra's chunks, from an offset too.
    const server = await serve(b, { port: 0, onError: () => {} });
    try {
      const observe = async (q: string) => {
        const res = await fetch(`${server.url}/api/workflows/talk/observe?runId=two-1${q}`, { method: 'POST' });
        expect(res.status).toBe(200);
        return (await res.text()).split('\x1E').filter(Boolean).map((t) => JSON.parse(t) as WorkflowStreamChunk);
      };
      const mastra = await observe('');
      expect(outputs(mastra)).toEqual(TOKS);
      expect(mastra.map((c) => c.type)).toEqual(live.map((c) => c.type));
      expect(mastra[0]!.payload).toMatchObject({ workflowId: 'talk' });
      expect(mastra.at(-1)).toMatchObject({ type: 'workflow-finish', payload: { workflowStatus: 'success' } });
      expect((await observe('&offset=5')).map((c) => c.type)).toEqual(mastra.slice(5).map((c) => c.type));
    } finally {
      await server.close();
    }

    // resumeStream() from B, which executes nothing: A's worker carries the resumed run, B streams it
    // from what was stored after the resume.
    const gA = await a.getWorkflow('gated').createRun({ runId: 'gated-1' });
    expect((await gA.start({ inputData: { text: 'x' } })).status).toBe('suspended');
    const gB = await b.getWorkflow('gated').createRun({ runId: 'gated-1' });
    const resumed = gB.resumeStream({ step: 'gate', resumeData: { ok: true } });
    const after = await collect(resumed.fullStream);
    expect((await resumed.result).status).toBe('success');
    expect(outputs(after)).toEqual(['a', 'b', 'c']);
    expect(after.some((c) => c.type === 'workflow-step-suspended')).toBe(false);
    expect(after.at(-1)).toMatchObject({ type: 'workflow-finish', payload: { workflowStatus: 'success', result: { text: 'x approved' } } });
    expect(resumed.status).toBe('success');

    // Mastra's /resume-stream on B's server, which has no feed of the run: the resumed execution (by
    // A) from the durable stream.
    const g2 = await a.getWorkflow('gated').createRun({ runId: 'gated-2' });
    expect((await g2.start({ inputData: { text: 'y' } })).status).toBe('suspended');
    const server2 = await serve(b, { port: 0, onError: () => {} });
    try {
      const res = await fetch(`${server2.url}/api/workflows/gated/resume-stream?runId=gated-2`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ step: 'gate', resumeData: { ok: true } }),
      });
      expect(res.status).toBe(200);
      const got = (await res.text()).split('\x1E').filter(Boolean).map((t) => JSON.parse(t) as WorkflowStreamChunk);
      expect(outputs(got)).toEqual(['a', 'b', 'c']);
      expect(got.some((c) => c.type === 'workflow-step-suspended')).toBe(false);
      expect(got.at(-1)).toMatchObject({ type: 'workflow-finish', payload: { workflowStatus: 'success', finalWorkflowResult: { text: 'y approved' } } });
    } finally {
      await server2.close();
    }
  } finally {
    await a.stop({ timeoutMs: 500 });
    await b.stop({ timeoutMs: 500 });
  }
}

/** A worker process streams, is SIGKILLed mid-stream; another takes over; a handle here observes throughout. */
async function crashScenario(base: Record<string, string> & { LEDGER: string }, store: Store): Promise<void> {
  const env = { ...base, RUN_ID: 'talk-1', GAP_MS: '10' };
  const weft = new Weft({ workflows: { talk: streamWorkflow({ createStep, createWorkflow, z }) }, store, worker: false, onError: () => {} });
  try {
    await weft.start();
    // A raw reader of the durable stream beside the handle: it must see the killed attempt's chunks
    // voided (a reset), so the handle had the same superseded chunks to keep back.
    let rawOutputs = 0;
    let rawResets = 0;
    const first = runPhase(CHILD, { ...env, PHASE: 'run' }, {
      killWhen: () => rawOutputs >= 10 && chunksLogged(env.LEDGER) >= 30,
      killWhat: 'a reader to have read 10 chunks and 30 to be written',
    });
    await waitUntil(() => weft.getRun('talk-1'), { timeout: 60_000, message: 'the child to create the run' });
    const handle = await weft.getWorkflow('talk').createRun({ runId: 'talk-1' });
    const seen: WorkflowStreamChunk[] = [];
    const observed = collect(handle.observeStream(), seen);
    const raw = (async () => {
      for await (const e of weft.followRunStream('talk-1')) {
        if (e.event.type === 'workflow-step-output') rawOutputs++;
        if (e.event.type === 'workflow-step-output-reset') rawResets++;
      }
    })();
    const killed = await first;
    expect(killed.signal).toBe('SIGKILL');
    // Nothing the handle passed on so far can be taken back: it holds the open call's chunks.
    expect(outputs(seen)).toEqual([]);
    const recover = await runPhase(CHILD, { ...env, PHASE: 'recover' }, { guardMs: 120_000 });
    expect(recover.code, recover.stderr).toBe(0);
    const chunks = await observed;
    await raw;
    expect(rawResets).toBe(1);
    expect(outputs(chunks)).toEqual(TOKS);
    expect(chunks.some((c) => c.type === 'workflow-step-output-reset')).toBe(false);
    expect(chunks.filter((c) => c.type === 'workflow-step-result')).toHaveLength(1);
    expect(chunks.at(-1)).toMatchObject({ type: 'workflow-finish', payload: { workflowStatus: 'success' } });
  } finally {
    await weft.stop({ timeoutMs: 200 });
  }
}

describe('a run handle streams a run another engine executes, from the durable stream', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('on a SQLite file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-handle-stream-'));
    dirs.push(dir);
    const path = join(dir, 'w.db');
    await twoEngines(sqliteStore({ path }), sqliteStore({ path }));
  }, 60_000);

  it('observed before it exists, a run another engine then starts is followed to its end (SQLite file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-handle-stream-'));
    dirs.push(dir);
    const path = join(dir, 'w.db');
    const a = new Weft({ workflows: { talk: streamWorkflow({ createStep, createWorkflow, z }, { gapMs: 2, log: () => {} }) }, store: sqliteStore({ path }), worker: { pollMs: 20 }, onError: () => {} });
    const b = new Weft({ workflows: { talk: streamWorkflow({ createStep, createWorkflow, z }) }, store: sqliteStore({ path }), worker: false, onError: () => {} });
    try {
      await a.start();
      await b.start();
      const handle = await b.getWorkflow('talk').createRun({ runId: 'early-1' });
      const observed = collect(handle.observeStream());
      // B has looked for the run and not found it before A starts it (B's store answers in order).
      await waitUntil(async () => (await b.getRun('early-1')) === null, { message: 'B to have looked for the run' });
      await (await a.getWorkflow('talk').createRun({ runId: 'early-1' })).startAsync({ inputData: { text: 'hi' } });
      const chunks = await observed;
      expect(outputs(chunks)).toEqual(TOKS);
      expect(chunks.at(-1)).toMatchObject({ type: 'workflow-finish', payload: { workflowStatus: 'success' } });
    } finally {
      await b.stop({ timeoutMs: 500 });
      await a.stop({ timeoutMs: 500 });
    }
  }, 60_000);

  it('on PostgreSQL', async () => {
    const schema = `handle_stream_${process.pid}`;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await twoEngines(postgresStore({ connectionString: PG_URL, schema }), postgresStore({ connectionString: PG_URL, schema }));
    } finally {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  }, 60_000);

  it('survives kill -9 of the worker mid-stream on a SQLite file: each chunk of the final attempt once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-handle-crash-'));
    dirs.push(dir);
    const path = join(dir, 'w.db');
    await crashScenario({ STORE: 'sqlite', DB_PATH: path, LEDGER: join(dir, 'ledger.tsv') }, sqliteStore({ path }));
  }, 240_000);

  it('survives kill -9 of the worker mid-stream on PostgreSQL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-handle-crash-'));
    dirs.push(dir);
    const schema = `handle_crash_${process.pid}`;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await crashScenario({ STORE: 'postgres', PG_URL, PG_SCHEMA: schema, LEDGER: join(dir, 'ledger.tsv') }, postgresStore({ connectionString: PG_URL, schema }));
    } finally {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  }, 240_000);
});
