import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, Weft, memoryStore, WorkflowDefinitionError } from '../../src/index.js';

const N = z.object({ n: z.number() });
const step = <I extends string>(id: I) => createStep({ id, inputSchema: N, outputSchema: N, execute: async ({ inputData }) => inputData });
const wf = (id = 'w') => createWorkflow({ id, inputSchema: N, outputSchema: N });

describe('createStep', () => {
  const good = { id: 's', inputSchema: N, outputSchema: N, execute: async () => ({ n: 1 }) };
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['missing id', { id: undefined }, /id must be/],
    ['empty id', { id: '' }, /id must be/],
    ['id with spaces', { id: 'a b' }, /id must be/],
    ['id with a slash', { id: 'a/b' }, /id must be/],
    ['id with a dot', { id: 'a.b' }, /id must be/],
    ['missing inputSchema', { inputSchema: undefined }, /inputSchema must be a Standard Schema/],
    ['non-schema outputSchema', { outputSchema: { type: 'object' } }, /outputSchema must be a Standard Schema/],
    ['non-schema resumeSchema', { resumeSchema: 5 }, /resumeSchema/],
    ['non-schema suspendSchema', { suspendSchema: 'x' }, /suspendSchema/],
    ['missing execute', { execute: undefined }, /execute must be a function/],
    ['negative retries', { retries: -1 }, /retries/],
    ['fractional retries', { retries: 1.5 }, /retries/],
    ['zero timeoutMs', { timeoutMs: 0 }, /timeoutMs/],
    ['infinite timeoutMs', { timeoutMs: Infinity }, /timeoutMs/],
  ];
  it.each(bad)('rejects %s with WorkflowDefinitionError', (_name, over, msg) => {
    const call = () => createStep({ ...good, ...over } as any);
    expect(call).toThrow(WorkflowDefinitionError);
    expect(call).toThrow(msg);
    try {
      call();
    } catch (e) {
      expect(e).toMatchObject({ code: 'INVALID_DEFINITION' });
    }
  });

  it('rejects a non-object config', () => {
    expect(() => createStep(undefined as any)).toThrow(WorkflowDefinitionError);
    expect(() => createStep('s' as any)).toThrow(WorkflowDefinitionError);
  });

  it('returns a frozen step with its definition', () => {
    const s = createStep({ ...good, description: 'd', retries: 2, timeoutMs: 100, metadata: { a: 1 } });
    expect(s).toMatchObject({ component: 'STEP', id: 's', description: 'd', retries: 2, timeoutMs: 100, metadata: { a: 1 } });
    expect(Object.isFrozen(s)).toBe(true);
  });
});

describe('createWorkflow and builders', () => {
  it.each([
    ['bad id', { id: 'no spaces allowed' }, /id must be/],
    ['missing inputSchema', { inputSchema: undefined }, /inputSchema/],
    ['non-schema outputSchema', { outputSchema: {} }, /outputSchema/],
    ['non-schema stateSchema', { stateSchema: 1 }, /stateSchema/],
    ['negative retryConfig.attempts', { retryConfig: { attempts: -1 } }, /retryConfig.attempts/],
    ['negative retryConfig.delay', { retryConfig: { delay: -5 } }, /retryConfig.delay/],
    ['bad concurrency', { concurrency: { limit: 0 } }, /concurrency/],
  ] as [string, Record<string, unknown>, RegExp][])('createWorkflow rejects %s', (_name, over, msg) => {
    const call = () => createWorkflow({ id: 'w', inputSchema: N, outputSchema: N, ...over } as any);
    expect(call).toThrow(WorkflowDefinitionError);
    expect(call).toThrow(msg);
  });

  it('builders reject bad arguments with WorkflowDefinitionError', () => {
    expect(() => wf().then({ id: 'x' } as any)).toThrow(WorkflowDefinitionError);
    expect(() => wf().then(undefined as any)).toThrow(WorkflowDefinitionError);
    expect(() => wf().parallel([])).toThrow(/non-empty array/);
    expect(() => wf().parallel([step('a'), step('a')])).toThrow(/two steps with id "a"/);
    expect(() => wf().branch([])).toThrow(WorkflowDefinitionError);
    expect(() => wf().branch([[true as any, step('a')]])).toThrow(/condition function/);
    expect(() => wf().dowhile(step('a'), undefined as any)).toThrow(/condition function/);
    expect(() => wf().dountil(step('a'), 'x' as any)).toThrow(/condition function/);
    expect(() => wf().foreach(step('a') as any, { concurrency: 0 })).toThrow(/concurrency/);
    expect(() => wf().foreach(step('a') as any, { concurrency: 1.5 })).toThrow(/concurrency/);
    expect(() => wf().map({ n: 1 } as any)).toThrow(/map key "n": use one of/);
    expect(() => wf().map(5 as any)).toThrow(/map needs a function or an object/);
    expect(() => wf().sleep(-1)).toThrow(/sleep/);
    expect(() => wf().sleep(NaN)).toThrow(/sleep/);
    expect(() => wf().sleepUntil(new Date('nope'))).toThrow(/sleepUntil/);
    expect(() => wf().sleepUntil('tomorrow' as any)).toThrow(/sleepUntil/);
  });

  it('nesting: an uncommitted workflow or the workflow itself cannot be nested', () => {
    const child = wf('child').then(step('a'));
    expect(() => wf('parent').then(child)).toThrow(/must be committed/);
    const self = wf('self').then(step('a'));
    expect(() => self.then(self as any)).toThrow(/inside itself/);
  });

  it('.commit() freezes the graph; an empty workflow cannot be committed', () => {
    const draft = wf().then(step('a'));
    expect(draft.committed).toBe(false);
    const w = draft.commit();
    expect(w.isCommitted).toBe(true);
    expect(w.committed).toBe(true);
    expect(() => (w as any).then(step('b'))).toThrow(/committed/);
    expect(() => wf().commit()).toThrow(WorkflowDefinitionError);
    expect(() => wf().commit()).toThrow(/^workflow "w": Execution flow of workflow is not defined\. Add steps to the workflow via \.then\(\), \.branch\(\), etc\.$/);
  });

  it("createRun on an uncommitted or empty workflow rejects with WorkflowDefinitionError and Mastra's message", async () => {
    await expect(wf().then(step('a')).createRun()).rejects.toBeInstanceOf(WorkflowDefinitionError);
    await expect(wf().then(step('a')).createRun()).rejects.toThrow(
      /^workflow "w": Uncommitted step flow changes detected\. Call \.commit\(\) to register the steps\.$/,
    );
    await expect(wf().createRun()).rejects.toBeInstanceOf(WorkflowDefinitionError);
    await expect(wf().createRun()).rejects.toThrow(/^workflow "w": Execution flow of workflow is not defined\./);
  });

  it('a Weft refuses uncommitted or foreign workflows', () => {
    expect(() => new Weft({ store: memoryStore(), workflows: { w: wf().then(step('a')) } })).toThrow(/committed/);
    expect(() => new Weft({ store: memoryStore(), workflows: { w: {} as any } })).toThrow(/not a workflow/);
    expect(() => new Weft({ store: memoryStore(), workflows: {}, worker: { concurrency: 0 } })).toThrow(/concurrency/);
    expect(() => new Weft({ store: memoryStore(), maxPayloadBytes: 0 })).toThrow(/maxPayloadBytes/);
    expect(() => new Weft(5 as any)).toThrow(/options must be an object/);
  });

  it('awaiting a workflow throws a clear TypeError instead of hanging', async () => {
    const w = wf().then(step('a')).commit();
    const awaited = (async () => await (w as any))();
    const outcome = await Promise.race([awaited.then(() => 'resolved', (e: unknown) => e), new Promise((r) => setTimeout(() => r('hung'), 500))]);
    expect(outcome).toBeInstanceOf(TypeError);
    expect((outcome as Error).message).toMatch(/a workflow is not a promise; did you `await` a workflow\?/);
    const uncommitted = wf('w2').then(step('a'));
    await expect(Promise.resolve(uncommitted as any)).rejects.toThrow(TypeError);
  });

  it('serializedStepGraph describes every node type', () => {
    const child = wf('child').then(step('c1')).commit();
    const item = createStep({ id: 'item', inputSchema: z.number(), outputSchema: z.number(), execute: async ({ inputData }) => inputData });
    const w = wf('graph')
      .then(step('a'))
      .parallel([step('p1'), child])
      .branch([[async () => true, step('b1')]])
      .dowhile(step('l') as any, async () => false)
      .map(async () => [1])
      .foreach(item, { concurrency: 2 })
      .sleep(10)
      .sleepUntil(new Date(0))
      .commit();
    const g = w.serializedStepGraph;
    expect(g.map((n) => n.type)).toEqual(['step', 'parallel', 'conditional', 'loop', 'map', 'foreach', 'sleep', 'sleepUntil']);
    expect(g[1]).toMatchObject({ type: 'parallel', steps: [{ type: 'step', step: { id: 'p1' } }, { type: 'step', step: { id: 'child', component: 'WORKFLOW', serializedStepFlow: [{ type: 'step', step: { id: 'c1' } }] } }] });
    expect(g[3]).toMatchObject({ type: 'loop', loopType: 'dowhile', step: { id: 'l' } });
    expect(g[5]).toMatchObject({ type: 'foreach', opts: { concurrency: 2 } });
    expect(JSON.parse(JSON.stringify(g))).toEqual(g);
  });

  it('the same step may appear twice in a sequence (distinct journal paths)', async () => {
    const a = step('a');
    const inc = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
    const w = createWorkflow({ id: 'twice', inputSchema: N, outputSchema: N }).then(inc).then(a).then(inc).commit();
    const r = await (await w.createRun()).start({ inputData: { n: 0 } });
    expect(r).toMatchObject({ status: 'success', result: { n: 2 } });
  });
});
