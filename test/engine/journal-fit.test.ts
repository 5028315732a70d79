import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, Weft } from '../../src/index.js';
import type { AnyWorkflow } from '../../src/index.js';
import { fitJournal } from '../../src/engine/journal-fit.js';
import type { JournalEntry } from '../../src/store/types.js';
import { waitUntil } from '../support/wait.js';

/**
 * Each change docs/operations.md calls unsafe for runs in flight is detected against a real journal
 * (the old definition run to a stop on an engine), and each change it calls safe passes.
 */
const N = z.object({ n: z.number() });

function step(id: string, opts: { suspend?: boolean; input?: z.ZodType; output?: z.ZodType; add?: number } = {}) {
  return createStep({
    id,
    inputSchema: opts.input ?? N,
    outputSchema: opts.output ?? N,
    resumeSchema: z.any(),
    execute: async ({ inputData, resumeData, suspend }) => {
      if (opts.suspend && resumeData === undefined) return suspend({});
      return { n: (inputData as { n: number }).n + (opts.add ?? 1) };
    },
  });
}

const wf = (id = 'order') => createWorkflow({ id, inputSchema: N, outputSchema: z.any() });

/** Runs `w` on a fresh engine until it stops (suspended or waiting) and returns its journal. */
async function journalOf(w: AnyWorkflow): Promise<JournalEntry[]> {
  const store = memoryStore();
  const weft = new Weft({ workflows: { w }, store, inProcessSleepMs: 0 });
  try {
    const run = await w.createRun();
    await run.startAsync({ inputData: { n: 1 } });
    // Suspended, or waiting on a timer (start() would wait for the timer).
    await waitUntil(async () => ['suspended', 'waiting'].includes((await store.loadRun(run.runId))?.status ?? ''), { message: 'the run to stop' });
    return await store.loadJournal(run.runId);
  } finally {
    await weft.stop();
  }
}

const gate = () => step('gate', { suspend: true });

describe('journal fit: safe changes pass', () => {
  it('the same graph with other step code', async () => {
    const rows = await journalOf(wf().then(step('a')).then(step('b')).then(gate()).then(step('c')).commit());
    expect(await fitJournal(wf().then(step('a', { add: 5 })).then(step('b', { add: 7 })).then(gate()).then(step('c', { add: 9 })).commit(), rows)).toBeNull();
  });

  it('a run waiting for an event, and one that took it and ran the step after the wait', async () => {
    const waiting = () => wf().then(step('a')).waitForEvent('paid', step('take')).then(gate()).commit();
    const rows = await journalOf(waiting());
    expect(rows.find((r) => r.path === 'waitForEvent_take')?.status).toBe('waiting');
    expect(await fitJournal(waiting(), rows)).toBeNull();
    // The wait delivered and the step after it done: the rows after the wait still fit.
    const done = rows.map((r) => (r.path === 'waitForEvent_take' ? { ...r, status: 'resumed' as const } : r));
    done.push({ ...rows[0]!, path: 'take', status: 'success', output: JSON.stringify({ n: 3 }), seq: rows.length + 1 });
    expect(await fitJournal(waiting(), done)).toBeNull();
    // Renaming the step that takes the event renames the wait too (its segment is named after the step).
    const renamed = wf().then(step('a')).waitForEvent('paid', step('took')).then(gate()).commit();
    expect((await fitJournal(renamed, done))?.path).toBe('waitForEvent_take');
  });

  it('steps appended at the end, or inserted after the point the run reached', async () => {
    const rows = await journalOf(wf().then(step('a')).then(gate()).then(step('c')).commit());
    expect(await fitJournal(wf().then(step('a')).then(gate()).then(step('c')).then(step('d')).commit(), rows)).toBeNull();
    expect(await fitJournal(wf().then(step('a')).then(gate()).then(step('x')).then(step('c')).commit(), rows)).toBeNull();
  });

  it('a step added to a branch the run has not reached', async () => {
    const old = wf().then(step('a')).then(gate()).branch([[async () => true, step('x')]]).commit();
    const rows = await journalOf(old);
    const next = wf().then(step('a')).then(gate()).branch([[async () => true, step('x')], [async () => false, step('y')]]).commit();
    expect(await fitJournal(next, rows)).toBeNull();
  });

  it('a later step whose input schema still accepts the recorded output', async () => {
    const rows = await journalOf(wf().then(step('a')).sleep(60_000).then(step('c')).commit());
    expect(await fitJournal(wf().then(step('a')).sleep(60_000).then(step('c', { input: z.object({ n: z.number().min(0) }) })).commit(), rows)).toBeNull();
  });
});

describe('journal fit: unsafe changes are detected at the first divergent path', () => {
  it('a finished step renamed', async () => {
    const rows = await journalOf(wf().then(step('a')).then(step('b')).then(gate()).commit());
    const d = await fitJournal(wf().then(step('a')).then(step('b2')).then(gate()).commit(), rows);
    expect(d).toMatchObject({ path: 'b', reason: 'renamed' });
    expect(d?.message).toContain('"b2"');
  });

  it('the suspended step renamed (the issue: a ghost step, finished steps run again)', async () => {
    const rows = await journalOf(wf().then(step('plan')).then(step('approve-plan', { suspend: true })).then(step('execute')).commit());
    const d = await fitJournal(wf().then(step('plan')).then(step('approve', { suspend: true })).then(step('execute')).commit(), rows);
    expect(d).toMatchObject({ path: 'approve-plan', reason: 'renamed' });
  });

  it('a finished step removed', async () => {
    const rows = await journalOf(wf().then(step('a')).then(step('b')).then(gate()).commit());
    expect(await fitJournal(wf().then(step('b')).then(gate()).commit(), rows)).toMatchObject({ path: 'a', reason: 'removed' });
  });

  it('finished steps reordered', async () => {
    const rows = await journalOf(wf().then(step('a')).then(step('b')).then(gate()).commit());
    expect(await fitJournal(wf().then(step('b')).then(step('a')).then(gate()).commit(), rows)).toMatchObject({ path: 'a', reason: 'moved' });
  });

  it('a step inserted before the point the run reached', async () => {
    const rows = await journalOf(wf().then(step('a')).then(step('b')).then(gate()).commit());
    expect(await fitJournal(wf().then(step('a')).then(step('x')).then(step('b')).then(gate()).commit(), rows)).toMatchObject({ path: 'b', reason: 'inserted' });
  });

  it('a .map inserted before a .parallel shifts its positional id (parallel#1 becomes parallel#2)', async () => {
    const rows = await journalOf(wf().then(step('a')).parallel([step('p'), step('q')]).map(async () => ({ n: 1 })).then(gate()).commit());
    expect(rows.map((r) => r.path)).toContain('parallel#1/p');
    const next = wf().then(step('a')).map(async ({ inputData }) => inputData).parallel([step('p'), step('q')]).map(async () => ({ n: 1 })).then(gate()).commit();
    expect(await fitJournal(next, rows)).toMatchObject({ path: 'parallel#1/p', reason: 'moved' });
  });

  it('a .sleep moved before a finished step', async () => {
    const rows = await journalOf(wf().then(step('a')).sleep(1).then(gate()).commit());
    expect(await fitJournal(wf().sleep(1).then(step('a')).then(gate()).commit(), rows)).toMatchObject({ path: 'a', reason: 'inserted' });
  });

  it('a step turned into a nested workflow under the same id (kind changed)', async () => {
    const rows = await journalOf(wf().then(step('a')).then(gate()).commit());
    const inner = createWorkflow({ id: 'gate', inputSchema: N, outputSchema: N }).then(step('inner', { suspend: true })).commit() as AnyWorkflow;
    expect(await fitJournal(wf().then(step('a')).then(inner).commit(), rows)).toMatchObject({ path: 'gate', reason: 'kind-changed' });
  });

  it('branch conditions reordered: the recorded choice now points at another step', async () => {
    const old = wf().then(step('a')).branch([[async () => false, step('x')], [async () => true, step('y', { suspend: true })]]).commit();
    const rows = await journalOf(old);
    const next = wf().then(step('a')).branch([[async () => true, step('y', { suspend: true })], [async () => false, step('x')]]).commit();
    expect(await fitJournal(next, rows)).toMatchObject({ path: 'branch#1/y', reason: 'moved' });
  });

  it("a recorded step's output no longer accepted by the next step's input schema", async () => {
    const rows = await journalOf(wf().then(step('a')).sleep(60_000).then(step('c')).commit());
    const next = wf().then(step('a')).sleep(60_000).then(step('c', { input: z.object({ m: z.string() }) })).commit();
    const d = await fitJournal(next, rows);
    expect(d).toMatchObject({ path: 'a', reason: 'schema' });
    expect(d?.message).toContain('input schema of "c"');
  });
});
