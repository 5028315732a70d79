import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, sqliteStore, Weft, type Store } from '../../src/index.js';
import { uid, until } from './helpers.js';

/**
 * Run streams in Mastra 1.71's formats: stream() and resumeStream() chunks, closeOnSuspend,
 * streamLegacy(), observeStream(), watch()/watchAsync().
 */

const dirs: string[] = [];
const wefts: Weft[] = [];
afterEach(async () => {
  await Promise.all(wefts.splice(0).map((w) => w.stop({ timeoutMs: 200 })));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const STORES: { name: string; make: () => Store }[] = [
  { name: 'memory', make: () => memoryStore() },
  {
    name: 'sqlite',
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), 'weft-streams-'));
      dirs.push(dir);
      return sqliteStore({ path: join(dir, 'weft.db') });
    },
  },
];

const X = z.object({ x: z.number() });

function workflows() {
  const step1 = createStep({
    id: 'step1',
    inputSchema: X,
    outputSchema: X,
    execute: async ({ inputData, writer }) => {
      await writer.write({ type: 'custom-event', payload: { seen: inputData.x } });
      return { x: inputData.x + 1 };
    },
  });
  const step2 = createStep({ id: 'step2', inputSchema: X, outputSchema: X, execute: async ({ inputData }) => ({ x: inputData.x * 10 }) });
  const gate = createStep({
    id: 'gate',
    inputSchema: X,
    outputSchema: X,
    resumeSchema: z.object({ ok: z.boolean() }),
    execute: async ({ inputData, resumeData, suspend }) => (resumeData ? inputData : suspend({ why: 'approval' })),
  });
  const plain = createWorkflow({ id: uid('plain'), inputSchema: X, outputSchema: X }).then(step1).then(step2).commit();
  const gated = createWorkflow({ id: uid('gated'), inputSchema: X, outputSchema: X }).then(step1).then(gate).then(step2).commit();
  return { plain, gated };
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

describe.each(STORES)('run streams ($name)', ({ make }) => {
  function setup() {
    const wfs = workflows();
    const weft = new Weft({ store: make(), workflows: wfs });
    wefts.push(weft);
    return wfs;
  }

  it('stream(): Mastra 1.71 chunks: stepName, one stepCallId per step call, writer output from USER, usage', async () => {
    const { plain } = setup();
    const run = await plain.createRun();
    const out = run.stream({ inputData: { x: 1 } });
    expect(out.workflowId).toBe(plain.id);
    const chunks = await collect(out.fullStream);
    expect((await out.result).status).toBe('success');
    expect(out.status).toBe('success');
    expect(await out.usage).toMatchObject({ inputTokens: 0, outputTokens: 0, totalTokens: 0 });
    expect(chunks.map((c) => [c.type, c.from, c.payload.stepName])).toEqual([
      ['workflow-start', 'WORKFLOW', undefined],
      ['workflow-step-start', 'WORKFLOW', 'step1'],
      ['workflow-step-output', 'USER', 'step1'],
      ['workflow-step-result', 'WORKFLOW', 'step1'],
      ['workflow-step-start', 'WORKFLOW', 'step2'],
      ['workflow-step-result', 'WORKFLOW', 'step2'],
      ['workflow-finish', 'WORKFLOW', undefined],
    ]);
    expect(chunks.every((c) => c.runId === run.runId)).toBe(true);
    const [, start1, output, result1, start2] = chunks;
    expect(start1!.payload.stepCallId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(result1!.payload.stepCallId).toBe(start1!.payload.stepCallId);
    expect(start2!.payload.stepCallId).not.toBe(start1!.payload.stepCallId);
    expect(output!.payload).toMatchObject({ output: { type: 'custom-event', payload: { seen: 1 } }, runId: run.runId });
    expect(chunks.at(-1)!.payload).toMatchObject({ workflowStatus: 'success', finalWorkflowResult: { x: 20 }, output: { usage: { totalTokens: 0 } } });
  });

  it('stream() ends when the run suspends; resumeStream() streams the resumed execution', async () => {
    const { gated } = setup();
    const run = await gated.createRun();
    const first = run.stream({ inputData: { x: 1 } });
    const before = await collect(first.fullStream);
    expect((await first.result).status).toBe('suspended');
    const suspended = before.find((c) => c.type === 'workflow-step-suspended')!;
    expect(suspended.payload).toMatchObject({ stepName: 'gate', suspendPayload: { why: 'approval' }, suspendedAt: expect.any(Number) });
    expect(before.at(-1)!.payload.workflowStatus).toBe('suspended');

    const again = run.resumeStream({ step: 'gate', resumeData: { ok: true } });
    const after = await collect(again.fullStream);
    expect((await again.result).status).toBe('success');
    expect(after.map((c) => c.type)).toEqual(['workflow-start', 'workflow-step-start', 'workflow-step-result', 'workflow-step-start', 'workflow-step-result', 'workflow-finish']);
    expect(after[1]!.payload).toMatchObject({ stepName: 'gate', resumePayload: { ok: true } });
  });

  it('stream({ closeOnSuspend: false }) stays open through the suspension and carries the resumed execution', async () => {
    const { gated } = setup();
    const run = await gated.createRun();
    const out = run.stream({ inputData: { x: 1 }, closeOnSuspend: false });
    const types: string[] = [];
    for await (const c of out.fullStream) {
      types.push(`${c.type}${c.type === 'workflow-finish' ? `:${c.payload.workflowStatus}` : ''}`);
      if (c.type === 'workflow-step-suspended') void run.resume({ step: 'gate', resumeData: { ok: true } });
    }
    expect(types.filter((t) => t.startsWith('workflow-finish'))).toEqual(['workflow-finish:suspended', 'workflow-finish:success']);
    expect((await out.result).status).toBe('suspended');
    expect((await gated.getWorkflowRunExecutionResult(run.runId))?.status).toBe('success');
  });

  it('streamLegacy(): Mastra\'s legacy chunks, step-finish after each result, finish with the runId', async () => {
    const { plain } = setup();
    const run = await plain.createRun({ runId: uid('legacy-run') });
    const seen: string[] = [];
    const { stream, getWorkflowState } = run.streamLegacy({ inputData: { x: 1 }, onChunk: async (c) => void seen.push(c.type) });
    const chunks = await collect(stream);
    expect(chunks).toMatchObject([
      { type: 'start', payload: { runId: run.runId } },
      { type: 'step-start', payload: { id: 'step1', payload: { x: 1 }, startedAt: expect.any(Number) } },
      { type: 'step-result', payload: { id: 'step1', output: { x: 2 }, endedAt: expect.any(Number), status: 'success' } },
      { type: 'step-finish', payload: { id: 'step1', metadata: {} } },
      { type: 'step-start', payload: { id: 'step2', payload: { x: 2 } } },
      { type: 'step-result', payload: { id: 'step2', output: { x: 20 }, status: 'success' } },
      { type: 'step-finish', payload: { id: 'step2', metadata: {} } },
      { type: 'finish', payload: { runId: run.runId } },
    ]);
    expect(chunks).toHaveLength(8);
    expect(chunks[1]!.payload.stepCallId).toBe(chunks[3]!.payload.stepCallId);
    expect((await getWorkflowState()).status).toBe('success');
    await until(() => seen.length === 8, 2000, 'onChunk to see every chunk');
  });

  it('streamLegacy() stays open while suspended; a resume started from the step-suspended chunk flows in', async () => {
    const { gated } = setup();
    const run = await gated.createRun();
    const { stream, getWorkflowState } = run.streamLegacy({ inputData: { x: 1 } });
    const types: string[] = [];
    for await (const c of stream) {
      types.push(c.type);
      // Right away, as Mastra's suite does: the resume waits until the suspension is recorded.
      if (c.type === 'step-suspended') setImmediate(() => void run.resume({ step: 'gate', resumeData: { ok: true } }));
    }
    expect(types).toContain('step-suspended');
    expect(types.at(-1)).toBe('finish');
    const state = await getWorkflowState();
    expect(state.status).toBe('success');
    expect(state.steps.gate).toMatchObject({ status: 'success', resumePayload: { ok: true } });
  });

  it('observeStream() follows a run started elsewhere in this process, until its outcome', async () => {
    const { plain } = setup();
    const run = await plain.createRun();
    const observed = run.observeStream();
    await run.startAsync({ inputData: { x: 1 } });
    const chunks = await collect(observed);
    expect(chunks.map((c) => c.type)).toContain('workflow-step-result');
    expect(chunks.at(-1)).toMatchObject({ type: 'workflow-finish', payload: { workflowStatus: 'success' } });
  });

  it('observeStreamLegacy() follows a run in legacy chunks through its suspension until it ends', async () => {
    const { gated } = setup();
    const run = await gated.createRun();
    const { stream } = run.observeStreamLegacy();
    await run.start({ inputData: { x: 1 } });
    await run.resume({ step: 'gate', resumeData: { ok: true } });
    const types = (await collect(stream)).map((c) => c.type);
    expect(types.filter((t) => t === 'start')).toHaveLength(2);
    expect(types).toContain('step-suspended');
    expect(types.at(-1)).toBe('finish');
  });

  it('watch() and watchAsync() get every chunk until unsubscribed; a throwing watcher does not hurt the run', async () => {
    const { plain, gated } = setup();
    const run = await plain.createRun();
    const got: string[] = [];
    const stop = run.watch((c) => void got.push(c.type));
    run.watch(() => {
      throw new Error('watcher bug');
    });
    await run.watchAsync(async () => {
      throw new Error('async watcher bug');
    });
    expect((await run.start({ inputData: { x: 1 } })).status).toBe('success');
    expect(got[0]).toBe('workflow-start');
    expect(got.at(-1)).toBe('workflow-finish');
    stop();
    const other = await gated.createRun();
    const afterStop: string[] = [];
    const unwatch = await other.watchAsync((c) => void afterStop.push(c.type));
    await other.start({ inputData: { x: 1 } });
    unwatch();
    await other.resume({ step: 'gate', resumeData: { ok: true } });
    expect(afterStop.at(-1)).toBe('workflow-finish');
    expect(afterStop.filter((t) => t === 'workflow-start')).toHaveLength(1);
  });
});
