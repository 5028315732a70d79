import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, sqliteStore, Weft } from '../../src/index.js';
import { MODES, bind, uid, untilStatus } from './helpers.js';

/** Suspend and resume as Mastra does them: suspendData, addressing, nested paths, resume data values. */
const Empty = z.object({});
const N = z.object({ n: z.number() });

/** A step that suspends with `payload` and, resumed, returns what it was given back. */
function asker(id: string, payload: Record<string, unknown> = { ask: id }) {
  return createStep({
    id,
    inputSchema: z.any(),
    outputSchema: z.any(),
    resumeSchema: z.any(),
    execute: async ({ resumeData, suspendData, suspend }) => {
      if (resumeData === undefined) return suspend(payload);
      return { resumeData, suspendData };
    },
  });
}

describe.each(MODES)('suspend and resume on the %s', (mode) => {
  it('a resumed step gets what it suspended with as suspendData', async () => {
    const first: unknown[] = [];
    const step = createStep({
      id: 'confirm',
      inputSchema: z.object({ value: z.string() }),
      outputSchema: z.any(),
      suspendSchema: z.object({ reason: z.string() }),
      resumeSchema: z.object({ ok: z.boolean() }),
      execute: async ({ inputData, resumeData, suspendData, suspend }) => {
        if (!resumeData) {
          first.push(suspendData);
          return suspend({ reason: `confirm ${inputData.value}` });
        }
        return { reason: suspendData?.reason };
      },
    });
    const w = bind(mode, createWorkflow({ id: uid('suspend-data'), inputSchema: z.object({ value: z.string() }), outputSchema: z.any() }).then(step).commit());
    const run = await w.createRun();
    await run.start({ inputData: { value: 'x' } });
    const done = await run.resume({ step, resumeData: { ok: true } });
    expect(done).toMatchObject({ status: 'success', result: { reason: 'confirm x' } });
    expect(first).toEqual([undefined]);
  });

  it('several suspended steps and no step given: Mastra\'s "Multiple suspended steps" error; naming one works', async () => {
    const w = bind(mode, createWorkflow({ id: uid('multi'), inputSchema: Empty, outputSchema: z.any() }).parallel([asker('left'), asker('right')]).commit());
    const run = await w.createRun();
    expect((await run.start({ inputData: {} })).status).toBe('suspended');
    const err = await run.resume({ resumeData: { go: 1 } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^Multiple suspended steps found in run ".+": \[left\], \[right\]\. Please specify/) });
    const after = await run.resume({ step: 'left', resumeData: { go: 1 } });
    expect(after.status).toBe('suspended');
    expect(after.status === 'suspended' && after.suspended).toEqual([['right']]);
  });

  it("a nested workflow's suspended step: suspendPayload carries __workflow_meta.path; resume by the nested workflow's own id", async () => {
    const inner = createWorkflow({ id: uid('in-a'), inputSchema: z.any(), outputSchema: z.any() }).then(asker('other', { question: 'why' })).commit();
    const middle = createWorkflow({ id: uid('in-b'), inputSchema: z.any(), outputSchema: z.any() }).then(inner).commit();
    const w = bind(mode, createWorkflow({ id: uid('outer'), inputSchema: z.any(), outputSchema: z.any() }).then(middle).commit());
    const run = await w.createRun();
    const r = await run.start({ inputData: {} });
    if (r.status !== 'suspended') throw new Error(`expected suspended, got ${r.status}`);
    expect(r.suspended).toEqual([[middle.id, inner.id, 'other']]);
    expect(r.suspendPayload[middle.id]).toEqual({ question: 'why' });
    expect(r.steps[middle.id]).toMatchObject({ status: 'suspended', suspendPayload: { question: 'why', __workflow_meta: { runId: run.runId, path: [inner.id, 'other'] } } });
    expect(r.steps[`${middle.id}.${inner.id}`]).toMatchObject({ suspendPayload: { question: 'why', __workflow_meta: { path: ['other'] } } });
    // The inner step's own entry has no meta: it is the step that suspended.
    expect(r.steps[`${middle.id}.${inner.id}.other`]?.suspendPayload).toEqual({ question: 'why' });

    const done = await run.resume({ step: middle.id, resumeData: { answer: 42 } });
    expect(done).toMatchObject({ status: 'success', result: { resumeData: { answer: 42 }, suspendData: { question: 'why' } } });
    expect(done.steps[middle.id]).toMatchObject({ status: 'success' });
  });

  it('a dountil over a nested workflow shows the round that is suspended now, not an earlier finished one', async () => {
    const inc = createStep({
      id: 'increment',
      inputSchema: N,
      outputSchema: N,
      resumeSchema: z.object({ by: z.number() }),
      execute: async ({ inputData, resumeData, suspend }) => (resumeData ? { n: inputData.n + resumeData.by } : suspend({ options: [1, 2] })),
    });
    const nested = createWorkflow({ id: uid('round'), inputSchema: N, outputSchema: N }).then(inc).commit();
    const w = bind(mode, createWorkflow({ id: uid('dountil'), inputSchema: N, outputSchema: N }).dountil(nested, async ({ inputData }) => inputData.n >= 10).commit());
    const run = await w.createRun();
    const first = await run.start({ inputData: { n: 2 } });
    expect(first.steps[nested.id]).toMatchObject({ status: 'suspended' });
    const second = await run.resume({ step: [nested.id, 'increment'], resumeData: { by: 2 } });
    expect(second.status).toBe('suspended');
    expect(second.steps[nested.id]).toMatchObject({ status: 'suspended', suspendPayload: { options: [1, 2], __workflow_meta: { path: ['increment'] } } });
    const third = await run.resume({ step: [nested.id, 'increment'], resumeData: { by: 8 } });
    expect(third).toMatchObject({ status: 'success', result: { n: 12 } });
    expect(third.steps[nested.id]).toMatchObject({ status: 'success', output: { n: 12 } });
  });

  it('a Date in resumeData reaches the step as the resume schema says; a coercing schema is applied once, at the step', async () => {
    const seen: unknown[] = [];
    const when = createStep({
      id: 'when',
      inputSchema: Empty,
      outputSchema: z.any(),
      resumeSchema: z.object({ at: z.date(), count: z.coerce.number(), tag: z.string().transform((t) => `${t}!`) }),
      execute: async ({ resumeData, suspend }) => {
        if (!resumeData) return suspend({});
        seen.push(resumeData);
        return { ok: true };
      },
    });
    const w = bind(mode, createWorkflow({ id: uid('date'), inputSchema: Empty, outputSchema: z.any() }).then(when).commit());
    const run = await w.createRun();
    await run.start({ inputData: {} });
    const at = new Date('2024-12-31T00:00:00.000Z');
    const done = await run.resume({ resumeData: { at, count: '3', tag: 'x' } });
    expect(done.status).toBe('success');
    expect(seen).toEqual([{ at, count: 3, tag: 'x!' }]);
    expect((seen[0] as { at: unknown }).at).toBeInstanceOf(Date);
    // The result shows the resume data as it was given (its Date included).
    expect(done.steps.when?.resumePayload).toEqual({ at, count: '3', tag: 'x' });
    // Data the schema refuses is still refused at resume time, before anything is written.
    const again = await w.createRun();
    await again.start({ inputData: {} });
    await expect(again.resume({ resumeData: { at: 'not a date', count: 1, tag: 'x' } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await w.getWorkflowRunExecutionResult(again.runId))?.status).toBe('suspended');
  });
});

describe('foreach suspension, as Mastra does it', () => {
  /** Items suspend unless resumed (or > `above` when given); resumed ones add the resume value. */
  function mapStep(calls: number[], above?: number) {
    return createStep({
      id: 'map',
      inputSchema: z.object({ value: z.number() }),
      outputSchema: z.object({ value: z.number() }),
      resumeSchema: z.object({ add: z.number() }),
      execute: async ({ inputData, resumeData, suspend }) => {
        calls.push(inputData.value);
        if (!resumeData && (above === undefined || inputData.value > above)) return suspend({ value: inputData.value });
        return { value: inputData.value + (resumeData?.add ?? 0) };
      },
    });
  }
  const items = (...v: number[]) => v.map((value) => ({ value }));
  const sum = createStep({
    id: 'sum',
    inputSchema: z.array(z.object({ value: z.number() })),
    outputSchema: z.number(),
    execute: async ({ inputData }) => inputData.reduce((a, b) => a + b.value, 0),
  });
  const build = (id: string, calls: number[], concurrency: number, above?: number) =>
    createWorkflow({ id: uid(id), inputSchema: z.array(z.object({ value: z.number() })), outputSchema: z.number() })
      .foreach(mapStep(calls, above), { concurrency })
      .then(sum)
      .commit();

  it.each(MODES)('one at a time: a suspended item stops the loop; each resume resumes it and runs on to the next (%s)', async (mode) => {
    const calls: number[] = [];
    const w = bind(mode, build('fe-one', calls, 1));
    const run = await w.createRun();
    const r0 = await run.start({ inputData: items(1, 22, 333) });
    expect(r0.status).toBe('suspended');
    expect(calls).toEqual([1]);
    expect(r0.status === 'suspended' && r0.suspended).toEqual([['map']]);
    expect(r0.steps.map).toMatchObject({ status: 'suspended', suspendPayload: { value: 1, __workflow_meta: { foreachIndex: 0 } } });
    expect((await run.resume({ resumeData: { add: 0 } })).status).toBe('suspended');
    expect(calls).toEqual([1, 1, 22]);
    expect((await run.resume({ step: 'map', resumeData: { add: 5 } })).status).toBe('suspended');
    const done = await run.resume({ resumeData: { add: 0 } });
    expect(done).toMatchObject({ status: 'success', result: 1 + 27 + 333, steps: { map: { status: 'success', output: items(1, 27, 333) } } });
    expect(calls).toEqual([1, 1, 22, 22, 333, 333]);
  });

  it.each(MODES)('concurrently: every item in flight finishes; a resume without forEachIndex resumes all suspended items (%s)', async (mode) => {
    const calls: number[] = [];
    const w = bind(mode, build('fe-all', calls, 3, 5));
    const run = await w.createRun();
    expect((await run.start({ inputData: items(22, 1, 333) })).status).toBe('suspended');
    expect([...calls].sort((a, b) => a - b)).toEqual([1, 22, 333]);
    const done = await run.resume({ resumeData: { add: 5 } });
    expect(done).toMatchObject({ status: 'success', result: 27 + 1 + 338 });
  });

  it.each(MODES)('forEachIndex resumes one item; the others stay suspended (%s)', async (mode) => {
    const calls: number[] = [];
    const w = bind(mode, build('fe-index', calls, 3));
    const run = await w.createRun();
    await run.start({ inputData: items(1, 22, 333) });
    expect((await run.resume({ forEachIndex: 1, resumeData: { add: 200 } })).status).toBe('suspended');
    expect(calls.filter((v) => v === 1)).toHaveLength(1);
    await expect(run.resume({ forEachIndex: 1, resumeData: { add: 1 } })).rejects.toMatchObject({ code: 'STEP_NOT_SUSPENDED' });
    await expect(run.resume({ forEachIndex: -1, resumeData: { add: 1 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await run.resume({ forEachIndex: 0, resumeData: { add: 100 } })).status).toBe('suspended');
    const done = await run.resume({ forEachIndex: 2, resumeData: { add: 300 } });
    expect(done).toMatchObject({ status: 'success', result: 101 + 222 + 633 });
  });

  it.each(MODES)('with items never started: they start on a later resume, once no earlier item is left suspended (%s)', async (mode) => {
    const calls: number[] = [];
    const w = bind(mode, build('fe-partial', calls, 3, 5));
    const run = await w.createRun();
    // 22, 1 and 333 start together; 22 and 333 suspend, so 1000 does not start (444 may, if 1 finished
    // first: a slot was free before the suspension was known, as in Mastra).
    expect((await run.start({ inputData: items(22, 1, 333, 444, 1000) })).status).toBe('suspended');
    expect(calls).toEqual(expect.arrayContaining([1, 22, 333]));
    expect(calls).not.toContain(1000);
    let r = await run.resume({ forEachIndex: 2, resumeData: { add: 5 } });
    expect(r.status).toBe('suspended');
    r = await run.resume({ forEachIndex: 0, resumeData: { add: 3 } });
    expect(r.status).toBe('suspended');
    expect(calls).toContain(444);
    for (let i = 0; i < 5 && r.status === 'suspended'; i++) r = await run.resume({ resumeData: { add: 0 } });
    expect(r).toMatchObject({ status: 'success', result: 25 + 1 + 338 + 444 + 1000 });
  });
});

describe('durable resumes', () => {
  it('resume data stored by one process reaches the step in another exactly as in one process (a Date stays a Date)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-resume-'));
    const id = uid('resume-crash');
    const seen: unknown[] = [];
    const build = () =>
      createWorkflow({ id, inputSchema: Empty, outputSchema: z.any() })
        .then(
          createStep({
            id: 'when',
            inputSchema: Empty,
            outputSchema: z.any(),
            resumeSchema: z.date(),
            execute: async ({ resumeData, suspend }) => {
              if (!resumeData) return suspend({});
              seen.push(resumeData);
              return { year: resumeData.getUTCFullYear() };
            },
          }),
        )
        .commit();
    try {
      const runner = new Weft({ workflows: { wf: build() }, store: sqliteStore({ path: join(dir, 'w.db') }) });
      const run = await runner.getWorkflow('wf').createRun();
      expect((await run.start({ inputData: {} })).status).toBe('suspended');
      await runner.stop();
      // A process that stores the resume and goes away before executing it (a pure client here).
      const client = new Weft({ workflows: { wf: build() }, store: sqliteStore({ path: join(dir, 'w.db') }), worker: false });
      await (await client.getWorkflow('wf').createRun({ runId: run.runId })).resumeAsync({ resumeData: new Date('2024-12-31T00:00:00.000Z') });
      await client.stop();
      const worker = new Weft({ workflows: { wf: build() }, store: sqliteStore({ path: join(dir, 'w.db') }), worker: { pollMs: 10 } });
      await worker.start();
      const done = await untilStatus(worker.getWorkflow('wf'), run.runId, 'success');
      await worker.stop();
      expect(done.status === 'success' && done.result).toEqual({ year: 2024 });
      expect(seen).toEqual([new Date('2024-12-31T00:00:00.000Z')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('foreach suspension after a crash', () => {
  it('a replay that finds an item suspended starts no item after it (the first execution had not either)', async () => {
    const calls: number[] = [];
    const map = createStep({
      id: 'map',
      inputSchema: z.number(),
      outputSchema: z.number(),
      execute: async ({ inputData, resumeData, suspend }) => {
        calls.push(inputData);
        return resumeData ? inputData : suspend({});
      },
    });
    const w = createWorkflow({ id: uid('fe-crash'), inputSchema: z.array(z.number()), outputSchema: z.any() }).foreach(map).commit();
    const segment = w.graph()[0]!.segment;
    const store = memoryStore();
    // The journal a process left when it died right after item 0 suspended, before the run's status was
    // written: the run is still `running`, its lease already expired.
    const runId = uid('crashed');
    const { run } = await store.createRun({
      runId,
      workflowId: w.id,
      status: 'running',
      resourceId: null,
      input: '[1,2,3]',
      state: '{}',
      requestContext: null,
      tracing: null,
      priority: 0,
      concurrencyKey: null,
      owner: 'dead-process',
      leaseExpiresAt: 1,
      now: 1,
    });
    await store.write([
      {
        type: 'journal',
        epoch: run.leaseEpoch,
        entry: { runId, path: `${segment}[0]/map`, kind: 'item', status: 'suspended', attempt: 1, input: '1', output: null, error: null, meta: '{"suspendPayload":{}}', startedAt: 1, endedAt: null },
      },
    ]);
    const weft = new Weft({ workflows: { w }, store, worker: { pollMs: 10 } });
    try {
      await weft.start();
      const r = await untilStatus(w, runId, 'suspended');
      expect(calls).toEqual([]);
      expect(r.status === 'suspended' && r.suspended).toEqual([['map']]);
      // The resume carries on as the uncrashed run would have.
      const done = await (await w.createRun({ runId })).resume({ resumeData: true });
      expect(done.status).toBe('suspended');
      expect(calls).toEqual([1, 2]);
    } finally {
      await weft.stop();
    }
  });
});
