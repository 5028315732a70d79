import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { cloneStep, cloneWorkflow, createStep, createWorkflow, mapVariable } from '../../src/index.js';
import type { WorkflowResult } from '../../src/index.js';

const userIn = createStep({
  id: 'user-in',
  inputSchema: z.object({ userId: z.string() }),
  outputSchema: z.object({ email: z.string() }),
  execute: async ({ inputData }) => {
    expectTypeOf(inputData).toEqualTypeOf<{ userId: string }>();
    return { email: `${inputData.userId}@example.com` };
  },
});
const needsEmail = createStep({
  id: 'needs-email',
  inputSchema: z.object({ email: z.string() }),
  outputSchema: z.object({ sent: z.boolean() }),
  execute: async () => ({ sent: true }),
});
const needsCount = createStep({
  id: 'needs-count',
  inputSchema: z.object({ count: z.number() }),
  outputSchema: z.object({ doubled: z.number() }),
  execute: async ({ inputData }) => ({ doubled: inputData.count * 2 }),
});
const countToEmail = createStep({
  id: 'count-to-email',
  inputSchema: z.object({ count: z.number() }),
  outputSchema: z.object({ email: z.string() }),
  execute: async () => ({ email: 'x' }),
});

const base = () => createWorkflow({ id: 'typed', inputSchema: z.object({ userId: z.string() }), outputSchema: z.object({ sent: z.boolean() }) });

describe('step input/output typing', () => {
  it('a step whose input accepts the previous output is fine', () => {
    const wf = base().then(userIn).then(needsEmail).commit();
    expectTypeOf(wf.createRun).returns.resolves.toHaveProperty('start');
  });

  it('a step whose inputSchema does not accept the previous output is a type error in .then', () => {
    // @ts-expect-error -- needs-count wants { count: number }, user-in gives { email: string }
    base().then(userIn).then(needsCount);
    // @ts-expect-error -- the workflow input { userId } is not { email }
    base().then(needsEmail);
  });

  it('the same check applies to dowhile/dountil bodies', () => {
    base().then(userIn).dowhile(needsEmail as any, async () => false);
    // @ts-expect-error -- loop body input does not accept the previous output
    base().then(userIn).dountil(needsCount, async () => true);
  });

  it('parallel output is keyed by step ids', () => {
    const toCount = createStep({ id: 'to-count', inputSchema: z.object({ userId: z.string() }), outputSchema: z.object({ count: z.number() }), execute: async () => ({ count: 1 }) });
    const merge = createStep({
      id: 'merge',
      inputSchema: z.object({ 'user-in': z.object({ email: z.string() }), 'to-count': z.object({ count: z.number() }) }),
      outputSchema: z.object({ sent: z.boolean() }),
      execute: async () => ({ sent: true }),
    });
    base().parallel([userIn, toCount]).then(merge).commit();
    // @ts-expect-error -- the parallel output is { 'user-in', 'to-count' }, not { email }
    base().parallel([userIn, toCount]).then(needsEmail);
    const w = base().parallel([userIn, toCount]);
    expectTypeOf(w.__prev!).toEqualTypeOf<{ 'user-in': { email: string }; 'to-count': { count: number } }>();
  });

  it('foreach needs an array and its element must match the step input', () => {
    const arr = createWorkflow({ id: 'arr', inputSchema: z.array(z.object({ count: z.number() })), outputSchema: z.any() });
    const w = arr.foreach(needsCount, { concurrency: 2 });
    expectTypeOf(w.__prev!).toEqualTypeOf<{ doubled: number }[]>();
    // @ts-expect-error -- the previous output is an object, not an array
    base().foreach(userIn);
    // @ts-expect-error -- elements are { count }, the step wants { email }
    arr.foreach(needsEmail);
  });

  it('map changes the type of the next input', () => {
    base().then(userIn).map(async ({ inputData }) => ({ count: inputData.email.length })).then(needsCount).commit();
    // @ts-expect-error -- after map the input is { count }, not { email }
    base().then(userIn).map(async () => ({ count: 1 })).then(needsEmail);
    base().then(userIn).map(async () => ({ count: 1 })).then(countToEmail).then(needsEmail).commit();
  });

  it('start takes typed inputData and returns a typed result', async () => {
    const wf = base().then(userIn).then(needsEmail).commit();
    const run = await wf.createRun();
    expectTypeOf(run.start).parameter(0).toEqualTypeOf<Parameters<typeof run.start>[0]>();
    // @ts-expect-error -- inputData must match the workflow input
    void run.start({ inputData: { userId: 5 } });
    const r = await run.start({ inputData: { userId: 'u' } });
    expectTypeOf(r).toEqualTypeOf<WorkflowResult<{ userId: string }, { sent: boolean }>>();
    if (r.status === 'success') expectTypeOf(r.result).toEqualTypeOf<{ sent: boolean }>();
  });

  it('nested workflows are typed as steps', () => {
    const child = createWorkflow({ id: 'child', inputSchema: z.object({ email: z.string() }), outputSchema: z.object({ sent: z.boolean() }) }).then(needsEmail).commit();
    base().then(userIn).then(child).commit();
    // @ts-expect-error -- child wants { email }
    base().then(child);
  });

  it('map object forms type each key from its source', () => {
    const wf = base();
    const mapped = wf.then(userIn).map({
      email: mapVariable({ step: userIn, path: 'email' }),
      user: mapVariable({ initData: wf, path: 'userId' }),
      whole: mapVariable({ step: userIn, path: '.' }),
      count: { value: 3, schema: z.number() },
      flag: { value: true },
      tenant: { requestContextPath: 'tenant', schema: z.string() },
      size: { fn: async ({ inputData }) => inputData.email.length, schema: z.number() },
      computed: { fn: ({ inputData }) => ({ upper: inputData.email.toUpperCase() }) },
      line: { template: 'hi ${inputData.email}' },
      loose: { step: userIn, path: 'email' },
    });
    expectTypeOf(mapped.__prev!).toEqualTypeOf<{
      email: string;
      user: string;
      whole: { email: string };
      count: number;
      flag: boolean;
      tenant: string;
      size: number;
      computed: { upper: string };
      line: string;
      // an inline { step, path } path is a plain string to the types: that key is `any` (mapVariable checks paths)
      loose: any;
    }>();
    wf.then(userIn).map({ count: { value: 2, schema: z.number() } }).then(needsCount).commit();
    // @ts-expect-error -- the mapped object is { count: string }, needs-count wants a number
    base().then(userIn).map({ count: { value: 'two', schema: z.string() } }).then(needsCount);
    // a path the types cannot follow gives `any` for that key, as Mastra's map gives `any`
    base().then(userIn).map({ count: { step: userIn, path: 'no.such' as string } }).then(needsCount).commit();
  });

  it('mapVariable checks the path against the step output or the workflow input', () => {
    const nested = createStep({
      id: 'nested',
      inputSchema: z.object({}),
      outputSchema: z.object({ a: z.object({ b: z.array(z.object({ c: z.string() })) }) }),
      execute: async () => ({ a: { b: [] } }),
    });
    mapVariable({ step: nested, path: 'a.b' });
    mapVariable({ step: nested, path: 'a.b.0.c' });
    // @ts-expect-error -- no such path in the output
    mapVariable({ step: nested, path: 'a.x' });
    // @ts-expect-error -- no such path in the workflow input
    mapVariable({ initData: base(), path: 'email' });
  });

  it('cloneStep and cloneWorkflow keep the types under the new id', () => {
    const copy = cloneStep(userIn, { id: 'user-in-2' });
    expectTypeOf(copy.id).toEqualTypeOf<'user-in-2'>();
    base().then(copy).then(needsEmail).commit();
    // @ts-expect-error -- the copy still wants { userId }
    base().then(userIn).then(copy);
    const wf = base().then(userIn).then(needsEmail).commit();
    const twin = cloneWorkflow(wf, { id: 'twin' });
    expectTypeOf(twin.id).toEqualTypeOf<'twin'>();
    expectTypeOf(twin.committed).toEqualTypeOf<boolean>();
    base().parallel([wf, twin]).commit();
    expectTypeOf(cloneStep(wf, { id: 'twin-2' }).id).toEqualTypeOf<'twin-2'>();
  });
});

