import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, type RunStreamEvent } from '../../src/index.js';
import { storeCases } from '../ops/stores.js';
import { uid } from './helpers.js';

/**
 * Durable run streams on every store (docs/durability.md, "Run streams"): a step that writes chunks,
 * fails and is retried shows readers the successful attempt's chunks once; a reader that got the
 * failed attempt's chunks is told to discard them; any suffix of the stream reads back exactly.
 */
const { cases, engine } = storeCases('streamretry');

const T = z.object({ text: z.string() });

/** What a reader keeps: output chunks, minus those a reset voided. */
function applied(events: RunStreamEvent[]): unknown[] {
  const kept = new Map<string, unknown>();
  for (const { id, event } of events) {
    if (event.type === 'workflow-step-output') kept.set(id, event.payload.output);
    if (event.type === 'workflow-step-output-reset') for (const v of event.payload.voided as string[]) kept.delete(v);
  }
  return [...kept.values()];
}

const outputs = (events: RunStreamEvent[]) => events.filter((e) => e.event.type === 'workflow-step-output').map((e) => e.event.payload.output);

function positions(events: RunStreamEvent[]): number[][] {
  return events.map((e) => e.id.split(':').map(Number));
}

describe.each(cases)('run streams on $name', ({ make }) => {
  it('a step that writes, fails and is retried: readers see the successful attempt\'s chunks once', async () => {
    const data = make();
    const weft = engine(data.shared(), {});
    let gate!: () => void;
    const readerHasFirst = new Promise<void>((r) => (gate = r));
    const talk = createStep({
      id: 'talk',
      inputSchema: T,
      outputSchema: T,
      retries: 1,
      execute: async ({ writer, retryCount }) => {
        await writer.write(`a${retryCount}-1`);
        await writer.write(`a${retryCount}-2`);
        if (retryCount === 0) {
          // Fails only once a reader has the first attempt's chunks: the reset must reach it.
          await readerHasFirst;
          throw new Error('flaky model');
        }
        await writer.custom({ type: 'data-done', data: { ok: true } });
        return { text: 'done' };
      },
    });
    const wf = createWorkflow({ id: uid('talk'), inputSchema: T, outputSchema: T }).then(talk).commit();
    weft.register(wf.id, wf);
    await weft.start();
    const run = await wf.createRun();
    await run.startAsync({ inputData: { text: 'hi' } });
    const live: RunStreamEvent[] = [];
    const following = (async () => {
      for await (const e of weft.followRunStream(run.runId, { pollMs: 20 })) {
        live.push(e);
        if (outputs(live).length === 2) gate();
      }
    })();
    await following;
    // The live reader got the first attempt's chunks, then a reset naming exactly those.
    expect(outputs(live)).toEqual(['a0-1', 'a0-2', 'a1-1', 'a1-2']);
    const reset = live.find((e) => e.event.type === 'workflow-step-output-reset');
    // It voids what the failed attempt streamed: its start and its two chunks.
    const before = live.slice(0, live.indexOf(reset!));
    expect(before.map((e) => e.event.type)).toEqual(['workflow-start', 'workflow-step-start', 'workflow-step-output', 'workflow-step-output']);
    expect(reset?.event.payload).toMatchObject({ id: 'talk', voided: before.slice(1).map((e) => e.id) });
    expect(applied(live)).toEqual(['a1-1', 'a1-2']);
    expect(live.at(-1)?.event.type).toBe('workflow-finish');
    // A reader starting now never sees the failed attempt nor a reset.
    const fresh = (await weft.readRunStream(run.runId)).events;
    expect(outputs(fresh)).toEqual(['a1-1', 'a1-2']);
    expect(fresh.some((e) => e.event.type === 'workflow-step-output-reset')).toBe(false);
    expect(fresh.map((e) => e.event.type)).toEqual(['workflow-start', 'workflow-step-start', 'workflow-step-output', 'workflow-step-output', 'data-done', 'workflow-step-result', 'workflow-finish']);
    // Ids strictly increase and every suffix reads back exactly.
    const pos = positions(fresh);
    for (let i = 1; i < pos.length; i++) expect(pos[i]![0]! > pos[i - 1]![0]! || (pos[i]![0] === pos[i - 1]![0] && pos[i]![1]! > pos[i - 1]![1]!)).toBe(true);
    for (let k = 0; k < fresh.length; k++) {
      const tail = (await weft.readRunStream(run.runId, { after: fresh[k]!.id })).events;
      expect(tail.map((e) => e.id)).toEqual(fresh.slice(k + 1).map((e) => e.id));
    }
    // Another process's view (another store on the same data) reads the same stream.
    const second = data.shared();
    const other = engine(second, { worker: false });
    expect((await other.readRunStream(run.runId)).events).toEqual(fresh);
  });

  it('refuses a chunk over the limit with STREAM_CHUNK_TOO_LARGE, and a bad event id', async () => {
    const weft = engine(make().shared(), {});
    const big = createStep({
      id: 'big',
      inputSchema: T,
      outputSchema: T,
      execute: async ({ writer }) => {
        await writer.write('x'.repeat(300 * 1024));
        return { text: 'never' };
      },
    });
    const wf = createWorkflow({ id: uid('big'), inputSchema: T, outputSchema: T }).then(big).commit();
    weft.register(wf.id, wf);
    const run = await wf.createRun();
    const result = await run.start({ inputData: { text: 'x' } });
    expect(result.status).toBe('failed');
    expect(result.status === 'failed' && (result.error as { code?: string }).code).toBe('STREAM_CHUNK_TOO_LARGE');
    await expect(weft.readRunStream(run.runId, { after: 'nope' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // Ids of the in-memory feeds of earlier versions read from the start.
    expect((await weft.readRunStream(run.runId, { after: '0a1b2c3d.7' })).events[0]?.event.type).toBe('workflow-start');
  });

  it('a paused run (perStep) is settled: its stream ends with a paused finish, and goes on after it', async () => {
    const weft = engine(make().shared(), {});
    const say = (id: string) => createStep({ id, inputSchema: T, outputSchema: T, execute: async ({ writer, inputData }) => (await writer.write(id), inputData) });
    const wf = createWorkflow({ id: uid('steps'), inputSchema: T, outputSchema: T }).then(say('one')).then(say('two')).commit();
    weft.register(wf.id, wf);
    const run = await wf.createRun();
    expect((await run.start({ inputData: { text: 'x' }, perStep: true })).status).toBe('paused');
    const first = await weft.readRunStream(run.runId);
    expect(first.settled).toBe(true);
    expect(first.events.at(-1)?.event.payload.workflowStatus).toBe('paused');
    expect(outputs(first.events)).toEqual(['one']);
    expect((await run.resume({})).status).toBe('success');
    const rest = await weft.readRunStream(run.runId, { after: first.events.at(-1)!.id });
    expect(outputs(rest.events)).toEqual(['two']);
    expect(rest.events.at(-1)?.event.payload.workflowStatus).toBe('success');
  });

  it('a follower in the executing process is woken by its commits, not by polling', async () => {
    const weft = engine(make().shared(), {});
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = createStep({
      id: 'slow',
      inputSchema: T,
      outputSchema: T,
      execute: async ({ writer, inputData }) => {
        await writer.write('before');
        await gate;
        await writer.write('after');
        return inputData;
      },
    });
    const wf = createWorkflow({ id: uid('slow'), inputSchema: T, outputSchema: T }).then(slow).commit();
    weft.register(wf.id, wf);
    const run = await wf.createRun();
    await run.startAsync({ inputData: { text: 'x' } });
    const seen: RunStreamEvent[] = [];
    // A poll interval far beyond the test's timeout: only commit wake-ups can move this reader.
    const following = (async () => {
      for await (const e of weft.followRunStream(run.runId, { pollMs: 3_600_000 })) {
        seen.push(e);
        if (outputs(seen).length === 1) release();
      }
    })();
    await following;
    expect(outputs(seen)).toEqual(['before', 'after']);
    expect(seen.at(-1)?.event.payload.workflowStatus).toBe('success');
  }, 15_000);

  it('deleting the run removes its stream', async () => {
    const store = make().shared();
    const weft = engine(store, {});
    const say = createStep({ id: 'say', inputSchema: T, outputSchema: T, execute: async ({ writer, inputData }) => (await writer.write(inputData.text), inputData) });
    const wf = createWorkflow({ id: uid('say'), inputSchema: T, outputSchema: T }).then(say).commit();
    weft.register(wf.id, wf);
    const run = await wf.createRun();
    await run.start({ inputData: { text: 'hello' } });
    expect(outputs((await weft.readRunStream(run.runId)).events)).toEqual(['hello']);
    await wf.deleteWorkflowRunById(run.runId);
    expect(await store.readStream(run.runId, 0, 10)).toEqual([]);
    expect((await weft.readRunStream(run.runId)).gone).toBe(true);
  });
});
