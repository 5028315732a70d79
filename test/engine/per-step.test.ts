import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, sqliteStore, Weft, type Store } from '../../src/index.js';
import { uid } from './helpers.js';

const S = z.object({ v: z.string() });

function counted(id: string, calls: string[]) {
  return createStep({ id, inputSchema: z.any(), outputSchema: S, execute: async () => (calls.push(id), { v: `${id}-done` }) });
}

const wefts: Weft[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(wefts.splice(0).map((w) => w.stop({ timeoutMs: 500 })));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const stores: [string, () => Store][] = [
  ['memory', () => memoryStore()],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'weft-perstep-'));
      dirs.push(dir);
      return sqliteStore({ path: join(dir, 'w.db') });
    },
  ],
];

describe.each(stores)('perStep on %s', (_name, makeStore) => {
  function engine(wf: ReturnType<typeof createWorkflow>, store = makeStore()) {
    const weft = new Weft({ workflows: { wf }, store });
    wefts.push(weft);
    return weft.getWorkflow('wf');
  }

  it('executes one step, then the run is paused; each resume with perStep executes one more', async () => {
    const calls: string[] = [];
    const wf = engine(createWorkflow({ id: uid('ps'), inputSchema: z.any(), outputSchema: S }).then(counted('a', calls)).then(counted('b', calls)).then(counted('c', calls)).commit());
    const run = await wf.createRun();
    const first = await run.start({ inputData: {}, perStep: true });
    expect(first.status).toBe('paused');
    expect(first.steps.a).toMatchObject({ status: 'success', output: { v: 'a-done' } });
    expect(first.steps.b).toBeUndefined();
    expect(calls).toEqual(['a']);

    const second = await run.resume({ perStep: true });
    expect(second.status).toBe('paused');
    expect(calls).toEqual(['a', 'b']);

    const rest = await run.resume();
    expect(rest.status).toBe('success');
    expect(rest.status === 'success' && rest.result).toEqual({ v: 'c-done' });
    expect(calls).toEqual(['a', 'b', 'c']);
  });

  it('in a parallel group only the first step executes; in a branch, the step before the branch', async () => {
    const calls: string[] = [];
    const par = engine(createWorkflow({ id: uid('ps-par'), inputSchema: z.any(), outputSchema: z.any() }).parallel([counted('x', calls), counted('y', calls)]).then(counted('z', calls)).commit());
    const r1 = await (await par.createRun()).start({ inputData: {}, perStep: true });
    expect(r1.status).toBe('paused');
    expect(calls).toEqual(['x']);
    expect(r1.steps.y).toBeUndefined();

    const calls2: string[] = [];
    const br = createWorkflow({ id: uid('ps-br'), inputSchema: z.any(), outputSchema: z.any() })
      .then(counted('check', calls2))
      .branch([
        [async () => true, counted('left', calls2)],
        [async () => false, counted('right', calls2)],
      ])
      .commit();
    const weft = new Weft({ workflows: { br }, store: makeStore() });
    wefts.push(weft);
    const r2 = await (await br.createRun()).start({ inputData: {}, perStep: true });
    expect(r2.status).toBe('paused');
    expect(calls2).toEqual(['check']);
  });

  it('a step of a nested workflow counts: the outer step runs, the nested workflow does not start', async () => {
    const calls: string[] = [];
    const inner = createWorkflow({ id: uid('inner'), inputSchema: z.any(), outputSchema: S }).then(counted('innerStep', calls)).commit();
    const wf = engine(createWorkflow({ id: uid('ps-nest'), inputSchema: z.any(), outputSchema: z.any() }).then(counted('outer', calls)).then(inner).commit());
    const r = await (await wf.createRun()).start({ inputData: {}, perStep: true });
    expect(r.status).toBe('paused');
    expect(calls).toEqual(['outer']);
    expect(r.steps[inner.id]).toBeUndefined();
  });

});

describe('perStep survives the process', () => {
  it('an engine that takes a paused run on after a restart honours perStep', async () => {
    const calls: string[] = [];
    const build = () => createWorkflow({ id: 'ps-durable', inputSchema: z.any(), outputSchema: S }).then(counted('a', calls)).then(counted('b', calls)).then(counted('c', calls)).commit();
    const dir = mkdtempSync(join(tmpdir(), 'weft-perstep-'));
    dirs.push(dir);
    const path = join(dir, 'w.db');
    const first = new Weft({ workflows: { wf: build() }, store: sqliteStore({ path }) });
    const run = await first.getWorkflow('wf').createRun({ runId: 'durable-1' });
    expect((await run.start({ inputData: {}, perStep: true })).status).toBe('paused');
    await first.stop();
    const second = new Weft({ workflows: { wf: build() }, store: sqliteStore({ path }) });
    wefts.push(second);
    const again = await second.getWorkflow('wf').createRun({ runId: 'durable-1' });
    expect((await again.resume({ perStep: true })).status).toBe('paused');
    expect(calls).toEqual(['a', 'b']);
    expect((await second.getRun('durable-1'))?.status).toBe('paused');
  });
});
