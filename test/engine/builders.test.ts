import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow } from '../../src/index.js';
import { MODES, N, addStep, bind, sleep, uid } from './helpers.js';

const wf = (prefix: string, out: z.ZodType = z.any()) => createWorkflow({ id: uid(prefix), inputSchema: N, outputSchema: out });

describe.each(MODES)('builders on the %s', (mode) => {
  it('.then chains outputs into inputs', async () => {
    const w = bind(mode, wf('then').then(addStep('a', 1)).then(addStep('b', 10)).commit());
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r).toMatchObject({ status: 'success', result: { n: 12 } });
    expect(r.steps.a).toMatchObject({ status: 'success', payload: { n: 1 }, output: { n: 2 } });
    expect(r.steps.b).toMatchObject({ status: 'success', payload: { n: 2 }, output: { n: 12 } });
  });

  it('.parallel runs all on the same input concurrently and keys the output by step id', async () => {
    let inFlight = 0;
    let max = 0;
    const slow = <I extends string>(id: I, by: number) =>
      createStep({
        id,
        inputSchema: N,
        outputSchema: N,
        execute: async ({ inputData }) => {
          inFlight++;
          max = Math.max(max, inFlight);
          await sleep(20);
          inFlight--;
          return { n: inputData.n + by };
        },
      });
    const after = createStep({
      id: 'after',
      inputSchema: z.object({ p1: N, p2: N }),
      outputSchema: N,
      execute: async ({ inputData }) => ({ n: inputData.p1.n + inputData.p2.n }),
    });
    const w = bind(mode, wf('par').parallel([slow('p1', 1), slow('p2', 2)]).then(after).commit());
    const r = await (await w.createRun()).start({ inputData: { n: 10 } });
    expect(r.status).toBe('success');
    expect(max).toBe(2);
    expect(r.steps.p1).toMatchObject({ status: 'success', payload: { n: 10 }, output: { n: 11 } });
    expect(r.steps.p2).toMatchObject({ status: 'success', payload: { n: 10 }, output: { n: 12 } });
    expect(r.steps.after?.payload).toEqual({ p1: { n: 11 }, p2: { n: 12 } });
    expect(r).toMatchObject({ result: { n: 23 } });
  });

  it('.parallel waits for every step (no fail-fast) and a failure fails the entry', async () => {
    let slowFinished = false;
    const after = { count: 0 };
    const bad = createStep({ id: 'bad', inputSchema: N, outputSchema: N, execute: async () => { throw new Error('bad step'); } });
    const slow = createStep({
      id: 'slow',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData }) => {
        await sleep(40);
        slowFinished = true;
        return inputData;
      },
    });
    const w = bind(mode, wf('par-fail').parallel([bad, slow]).then(createStep({ id: 'after', inputSchema: z.any(), outputSchema: z.any(), execute: async () => { after.count++; return {}; } })).commit());
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r.status).toBe('failed');
    expect(slowFinished).toBe(true);
    expect(r.steps.slow?.status).toBe('success');
    expect(r.steps.bad).toMatchObject({ status: 'failed', error: { message: 'bad step' } });
    if (r.status === 'failed') expect(r.error.message).toBe('bad step');
    expect(after.count).toBe(0);
    expect(r.steps.after).toBeUndefined();
  });

  it('.branch runs every step whose condition holds, keyed by id', async () => {
    const x = { count: 0 };
    const y = { count: 0 };
    const zc = { count: 0 };
    const w = bind(
      mode,
      wf('branch')
        .branch([
          [async ({ inputData }) => inputData.n > 0, addStep('x', 1, x)],
          [async ({ inputData }) => inputData.n > 1, addStep('y', 2, y)],
          [async () => false, addStep('z', 3, zc)],
        ])
        .commit(),
    );
    const r = await (await w.createRun()).start({ inputData: { n: 5 } });
    expect(r).toMatchObject({ status: 'success', result: { x: { n: 6 }, y: { n: 7 } } });
    if (r.status === 'success') expect(Object.keys(r.result as object).sort()).toEqual(['x', 'y']);
    expect([x.count, y.count, zc.count]).toEqual([1, 1, 0]);
    expect(r.steps.z).toBeUndefined();
  });

  it('.branch with no true condition outputs {} and the workflow goes on', async () => {
    let seen: unknown;
    const next = createStep({
      id: 'next',
      inputSchema: z.object({ x: N.optional() }),
      outputSchema: z.object({ ok: z.boolean() }),
      execute: async ({ inputData }) => {
        seen = inputData;
        return { ok: true };
      },
    });
    const w = bind(mode, wf('branch-none').branch([[async () => false, addStep('x')]]).then(next).commit());
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r).toMatchObject({ status: 'success', result: { ok: true } });
    expect(seen).toEqual({});
  });

  it('.dowhile: iterationCount starts at 1 and each iteration gets the previous output', async () => {
    const inputs: number[] = [];
    const counts: number[] = [];
    const body = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => { inputs.push(inputData.n); return { n: inputData.n + 1 }; } });
    const w = bind(
      mode,
      wf('dowhile')
        .dowhile(body, async ({ inputData, iterationCount }) => {
          counts.push(iterationCount);
          return inputData.n < 3;
        })
        .commit(),
    );
    const r = await (await w.createRun()).start({ inputData: { n: 0 } });
    expect(r).toMatchObject({ status: 'success', result: { n: 3 } });
    expect(inputs).toEqual([0, 1, 2]);
    expect(counts).toEqual([1, 2, 3]);
    expect(r.steps.inc).toMatchObject({ status: 'success', payload: { n: 2 }, output: { n: 3 } });
  });

  it('.dountil stops when the condition becomes true', async () => {
    const counts: number[] = [];
    const w = bind(
      mode,
      wf('dountil')
        .dountil(addStep('inc', 2), async ({ inputData, iterationCount }) => {
          counts.push(iterationCount);
          return inputData.n >= 5;
        })
        .commit(),
    );
    const r = await (await w.createRun()).start({ inputData: { n: 0 } });
    expect(r).toMatchObject({ status: 'success', result: { n: 6 } });
    expect(counts).toEqual([1, 2, 3]);
  });

  it('.foreach never exceeds its concurrency and keeps input order', async () => {
    let inFlight = 0;
    let max = 0;
    const item = createStep({
      id: 'item',
      inputSchema: z.number(),
      outputSchema: z.number(),
      execute: async ({ inputData }) => {
        inFlight++;
        max = Math.max(max, inFlight);
        await sleep(5 + ((inputData * 7) % 11)); // uneven durations so completion order differs from input order
        inFlight--;
        return inputData * 10;
      },
    });
    const w = bind(
      mode,
      createWorkflow({ id: uid('foreach'), inputSchema: z.array(z.number()), outputSchema: z.array(z.number()) })
        .foreach(item, { concurrency: 3 })
        .commit(),
    );
    const items = Array.from({ length: 12 }, (_, i) => i + 1);
    const r = await (await w.createRun()).start({ inputData: items });
    expect(r).toMatchObject({ status: 'success', result: items.map((i) => i * 10) });
    expect(max).toBe(3);
    expect(r.steps.item).toMatchObject({ status: 'success', payload: items, output: items.map((i) => i * 10) });
  });

  it('.foreach defaults to concurrency 1', async () => {
    let inFlight = 0;
    let max = 0;
    const item = createStep({
      id: 'item',
      inputSchema: z.number(),
      outputSchema: z.number(),
      execute: async ({ inputData }) => {
        inFlight++;
        max = Math.max(max, inFlight);
        await sleep(2);
        inFlight--;
        return inputData + 1;
      },
    });
    const w = bind(mode, createWorkflow({ id: uid('foreach1'), inputSchema: z.array(z.number()), outputSchema: z.any() }).foreach(item).commit());
    const r = await (await w.createRun()).start({ inputData: [1, 2, 3, 4] });
    expect(r).toMatchObject({ status: 'success', result: [2, 3, 4, 5] });
    expect(max).toBe(1);
  });

  it('.foreach on a non-array fails the run with a clear error', async () => {
    const item = createStep({ id: 'item', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ inputData }) => inputData });
    const w = bind(mode, wf('foreach-bad').foreach(item as any).commit());
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r.status).toBe('failed');
    if (r.status === 'failed') expect(r.error.message).toMatch(/foreach "item" needs an array/);
  });

  it('.foreach: an item failure fails the run', async () => {
    const item = createStep({
      id: 'item',
      inputSchema: z.number(),
      outputSchema: z.number(),
      execute: async ({ inputData }) => {
        if (inputData === 2) throw new Error('item 2 broke');
        return inputData;
      },
    });
    const w = bind(mode, createWorkflow({ id: uid('foreach-fail'), inputSchema: z.array(z.number()), outputSchema: z.any() }).foreach(item).commit());
    const r = await (await w.createRun()).start({ inputData: [1, 2, 3] });
    expect(r.status).toBe('failed');
    if (r.status === 'failed') expect(r.error.message).toBe('item 2 broke');
    expect(r.steps.item).toMatchObject({ status: 'failed', payload: [1, 2, 3], error: { message: 'item 2 broke' } });
  });

  it('.map transforms with a step context', async () => {
    const w = bind(
      mode,
      wf('map')
        .then(addStep('a', 1))
        .map(async ({ inputData, getStepResult, getInitData }) => ({ n: inputData.n * 100 + getStepResult('a').n + getInitData().n }))
        .then(addStep('b', 0))
        .commit(),
    );
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r).toMatchObject({ status: 'success', result: { n: 200 + 2 + 1 } });
    expect(r.steps.b?.payload).toEqual({ n: 203 });
  });

  it('.sleep waits the given ms (number and function) and passes its input through', async () => {
    const stamps: number[] = [];
    const stamp = (id: string) =>
      createStep({ id, inputSchema: N, outputSchema: N, execute: async ({ inputData }) => { stamps.push(Date.now()); return inputData; } });
    const w = bind(
      mode,
      wf('sleep')
        .then(stamp('s1'))
        .sleep(60)
        .then(stamp('s2'))
        .sleep(async ({ inputData }) => inputData.n * 10)
        .then(stamp('s3'))
        .commit(),
    );
    const r = await (await w.createRun()).start({ inputData: { n: 5 } });
    expect(r).toMatchObject({ status: 'success', result: { n: 5 } });
    expect(stamps[1]! - stamps[0]!).toBeGreaterThanOrEqual(55);
    expect(stamps[2]! - stamps[1]!).toBeGreaterThanOrEqual(45);
  });

  it('.sleepUntil waits for a Date or a function returning one', async () => {
    const stamps: number[] = [];
    const stamp = (id: string) =>
      createStep({ id, inputSchema: N, outputSchema: N, execute: async ({ inputData }) => { stamps.push(Date.now()); return inputData; } });
    const target = new Date(Date.now() + 80);
    const w = bind(
      mode,
      wf('sleepuntil')
        .sleepUntil(target)
        .then(stamp('s1'))
        .sleepUntil(async () => new Date(Date.now() + 50))
        .then(stamp('s2'))
        .commit(),
    );
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r.status).toBe('success');
    expect(stamps[0]!).toBeGreaterThanOrEqual(target.getTime() - 2);
    expect(stamps[1]! - stamps[0]!).toBeGreaterThanOrEqual(45);
  });

  it('.sleepUntil with a past date continues at once', async () => {
    const w = bind(mode, wf('sleep-past').sleepUntil(new Date(Date.now() - 60_000)).then(addStep('a')).commit());
    const t0 = Date.now();
    const r = await (await w.createRun()).start({ inputData: { n: 1 } });
    expect(r).toMatchObject({ status: 'success', result: { n: 2 } });
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
