import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createStep,
  createWorkflow,
  mapVariable,
  memoryStore,
  RequestContext,
  sqliteStore,
  Weft,
  WorkflowDefinitionError,
  type AnyWorkflow,
  type Store,
} from '../../src/index.js';

/** The object and template forms of `.map()`, on an in-memory and an SQLite engine. */

const dir = mkdtempSync(join(tmpdir(), 'weft-map-forms-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let seq = 0;
const STORES: [string, () => Store][] = [
  ['memory', () => memoryStore()],
  ['SQLite', () => sqliteStore({ path: join(dir, `map-${++seq}.db`) })],
];

const engines: Weft[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((w) => w.stop({ timeoutMs: 500 })));
});

function engine(store: () => Store, wf: AnyWorkflow): Weft {
  const weft = new Weft({ store: store(), workflows: { wf } });
  engines.push(weft);
  return weft;
}

const id = (prefix: string) => `${prefix}-${++seq}`;
const Any = z.any();

/** A step returning a fixed value. */
const constant = <I extends string>(stepId: I, value: unknown) =>
  createStep({ id: stepId, inputSchema: Any, outputSchema: Any, execute: async () => value });

const echo = createStep({ id: 'echo', inputSchema: Any, outputSchema: Any, execute: async ({ inputData }) => inputData });

const PROFILE = { name: 'Ada', address: { city: 'London' }, tags: ['x', 'y'], langs: [{ name: 'en' }, { name: 'fr' }], none: null };
const profile = constant('profile', PROFILE);

describe.each(STORES)('.map() object forms on %s', (_name, store) => {
  const run = async (wf: AnyWorkflow, inputData: unknown, requestContext?: RequestContext) => {
    const weft = engine(store, wf);
    await weft.start();
    return (await weft.getWorkflow('wf').createRun()).start({ inputData, requestContext });
  };

  it.each<[string, Record<string, unknown>, unknown]>([
    ['{ step, path } with a dotted path', { city: { step: profile, path: 'address.city' } }, { city: 'London' }],
    ['{ step, path } with an array index', { lang: { step: profile, path: 'langs.1.name' } }, { lang: 'fr' }],
    ["{ step, path: '.' } (the whole output)", { all: { step: profile, path: '.' } }, { all: PROFILE }],
    ['mapVariable({ step, path })', { name: mapVariable({ step: profile, path: 'name' }) }, { name: 'Ada' }],
    ['{ value, schema }', { n: { value: 7, schema: z.number() }, list: { value: [], schema: z.array(z.string()) } }, { n: 7, list: [] }],
    ['{ requestContextPath, schema }', { user: { requestContextPath: 'userId', schema: z.string() } }, { user: 'u-1' }],
    ['{ fn, schema } (the step context)', { count: { fn: async ({ inputData }: any) => inputData.tags.length, schema: z.number() } }, { count: 2 }],
    ['{ template }', { line: { template: '${inputData.name} from ${inputData.address.city} (${requestContext.userId})' } }, { line: 'Ada from London (u-1)' }],
  ])('%s', async (_form, config, expected) => {
    const wf = createWorkflow({ id: id('map-form'), inputSchema: Any, outputSchema: Any }).then(profile).map(config as any).then(echo).commit();
    const r = await run(wf, {}, new RequestContext([['userId', 'u-1']]));
    expect(r).toMatchObject({ status: 'success', result: expected });
  });

  it('{ initData, path } and mapVariable({ initData }) read the workflow input', async () => {
    const wf = createWorkflow({ id: id('map-init'), inputSchema: z.object({ order: z.object({ id: z.string() }) }), outputSchema: Any });
    wf.then(constant('other', { unrelated: true }))
      .map({ orderId: mapVariable({ initData: wf, path: 'order.id' }), whole: { initData: wf, path: '.' } })
      .then(echo)
      .commit();
    const r = await run(wf, { order: { id: 'o-9' } });
    expect(r).toMatchObject({ status: 'success', result: { orderId: 'o-9', whole: { order: { id: 'o-9' } } } });
  });

  it('{ step: [a, b], path } takes the first step that has an output (a branch taken)', async () => {
    const a = constant('a', { v: 'from a' });
    const b = constant('b', { v: 'from b' });
    const wf = createWorkflow({ id: id('map-first'), inputSchema: Any, outputSchema: Any })
      .branch([
        [async () => false, a],
        [async () => true, b],
      ])
      .map({ v: { step: [a, b], path: 'v' } })
      .commit();
    expect(await run(wf, {})).toMatchObject({ status: 'success', result: { v: 'from b' } });
  });

  it('templates: every namespace, null as empty, objects as JSON, stray $ and newlines kept', async () => {
    const early = constant('early', { deep: { value: 'd' }, list: [1, 2] });
    const setter = createStep({
      id: 'setter',
      inputSchema: Any,
      outputSchema: Any,
      stateSchema: z.object({ phase: z.string() }),
      execute: async ({ setState }) => {
        await setState({ phase: 'two' });
        return { a: 'A', nothing: null };
      },
    });
    const wf = createWorkflow({ id: id('map-tpl'), inputSchema: z.object({ city: z.string() }), outputSchema: Any, stateSchema: z.object({ phase: z.string() }) })
      .then(early)
      .then(setter)
      .map({
        all: { template: '${initData.city}|${inputData.a}|${state.phase}|${requestContext.who}|${stepResults.early.deep.value}' },
        empty: { template: '[${inputData.nothing}][${inputData.missing}][${requestContext.absent}]' },
        json: { template: '${stepResults.early.list} ${stepResults.early}' },
        literal: { template: '$5 and ${inputData.a}${inputData.a}\nnext line' },
        blank: { template: '' },
      })
      .commit();
    const r = await run(wf, { city: 'Oslo' }, new RequestContext([['who', 'me']]));
    expect(r).toMatchObject({
      status: 'success',
      result: {
        all: 'Oslo|A|two|me|d',
        empty: '[][][]',
        json: '[1,2] {"deep":{"value":"d"},"list":[1,2]}',
        literal: '$5 and AA\nnext line',
        blank: '',
      },
    });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a template naming a step without output', { x: { template: '${stepResults.nonexistent.x}' } }, /stepResults\.nonexistent but step "nonexistent" has no successful output/],
    ['a template path through a non-object', { x: { template: '${inputData.name.first.letter}' } }, /Invalid path name\.first\.letter in Template placeholder #1/],
    ['a step path through a non-object', { x: { step: profile, path: 'name.first.letter' } }, /^Invalid path name\.first\.letter in step profile$/],
    ['a step that did not run', { x: { step: constant('never', 1), path: 'a' } }, /^Invalid path a in step never$/],
    ['a throwing fn', { x: { fn: () => { throw new Error('fn broke'); } } }, /^fn broke$/],
  ])('a run fails at the map node on %s', async (_what, config, message) => {
    const wf = createWorkflow({ id: id('map-fail'), inputSchema: Any, outputSchema: Any }).then(profile).map(config as any).then(echo).commit();
    const r = await run(wf, {});
    expect(r.status).toBe('failed');
    if (r.status !== 'failed') return;
    expect(r.error.message).toMatch(message);
    expect(r.steps.echo).toBeUndefined();
  });

  it('the mapped object is recorded: a resume replays it, the fn entries do not run again', async () => {
    let fnCalls = 0;
    const gate = createStep({
      id: 'gate',
      inputSchema: Any,
      outputSchema: Any,
      resumeSchema: z.object({ ok: z.boolean() }),
      execute: async ({ inputData, resumeData, suspend }) => (resumeData ? { got: inputData } : suspend({})),
    });
    const build = () =>
      createWorkflow({ id: 'recorded-map', inputSchema: Any, outputSchema: Any })
        .then(constant('first', { n: 1 }))
        .map({ n: { step: constant('first', { n: 1 }), path: 'n' }, call: { fn: () => ++fnCalls, schema: z.number() } }, { id: 'shape' })
        .then(gate)
        .commit();
    const first = engine(store, build());
    await first.start();
    const handle = await first.getWorkflow('wf').createRun();
    expect((await handle.start({ inputData: {} })).status).toBe('suspended');
    const done = await (await first.getWorkflow('wf').createRun({ runId: handle.runId })).resume({ resumeData: { ok: true } });
    expect(done).toMatchObject({ status: 'success', result: { got: { n: 1, call: 1 } } });
    expect(done.steps.shape).toMatchObject({ status: 'success', output: { n: 1, call: 1 } });
    expect(fnCalls).toBe(1);
  });
});

describe('.map() definition-time checks', () => {
  const base = () => createWorkflow({ id: 'checks', inputSchema: Any, outputSchema: Any }).then(echo);

  it.each<[string, unknown, RegExp]>([
    ['a whitespace-padded placeholder', { x: { template: '${ inputData.x }' } }, /has empty or whitespace-padded contents/],
    ['an empty placeholder', { x: { template: 'a${}b' } }, /Template placeholder #1 \(\$\{\}\) in 'a\$\{\}b' has empty or whitespace-padded contents/],
    ['an unknown namespace', { x: { template: 'ok ${inputData.a} ${nope.x}' } }, /Template placeholder #2 \(\$\{nope\.x\}\) .* references unknown namespace "nope"\. Use one of: inputData, initData, state, requestContext, stepResults\./],
    ['stepResults without a step id', { x: { template: '${stepResults.}' } }, /must be of the form \$\{stepResults\.<stepId>\} or \$\{stepResults\.<stepId>\.<path>\}/],
    ['requestContext without a key', { x: { template: '${requestContext}' } }, /requires a request-context key/],
    ['an entry of no known form', { x: { foo: 1 } }, /map key "x": use one of \{ step, path \}/],
    ['a non-object entry', { x: 5 }, /map key "x": use one of/],
    ['{ step } without a path', { x: { step: echo } }, /map key "x": path must be a dotted path string/],
    ['{ step } that is not a step', { x: { step: { nope: true }, path: 'a' } }, /map key "x": step must be a step, a workflow or an array of them/],
    ['{ step: [] }', { x: { step: [], path: 'a' } }, /map key "x": step needs a step or a non-empty array/],
    ['{ fn } that is not a function', { x: { fn: 'nope' } }, /map key "x": fn must be a function/],
    ['{ requestContextPath } that is not a string', { x: { requestContextPath: 5 } }, /map key "x": requestContextPath must be a string/],
    ['an array config', [{ value: 1 }], /map needs a function or an object/],
    ['a string config', 'inputData.x', /map needs a function or an object/],
  ])('rejects %s with WorkflowDefinitionError', (_what, config, message) => {
    const call = () => base().map(config as any);
    expect(call).toThrow(WorkflowDefinitionError);
    expect(call).toThrow(message);
    expect(call).toThrow(/^workflow "checks": /);
  });

  it.each([['${stepResults.stepA}'], ['${stepResults.stepA.x.y}'], ['no placeholders'], [''], ['$5 ${inputData}'], ['${state}']])(
    'accepts the template %j',
    (template) => {
      expect(() => base().map({ x: { template } })).not.toThrow();
    },
  );

  it('takes the id, description and metadata options; the id is the result key and must be valid', () => {
    const wf = base().map({ x: { value: 1 } }, { id: 'shape', description: 'reshape', metadata: { a: 1 } }).commit();
    expect(wf.serializedStepGraph[1]).toEqual({ type: 'map', id: 'shape', description: 'reshape' });
    expect(base().map({ x: { value: 1 } }, { id: null }).commit().serializedStepGraph[1]).toEqual({ type: 'map', id: 'mapping_1' });
    expect(() => base().map({ x: { value: 1 } }, { id: 'no spaces' })).toThrow(/map id must be/);
  });
});
