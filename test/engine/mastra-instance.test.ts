import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, sqliteStore, Weft } from '../../src/index.js';
import { MODES, bind, uid } from './helpers.js';

/**
 * A workflow registered with Mastra (`new Mastra({ workflows })` calls `__registerMastra(mastra)`, then
 * `__registerPrimitives({ logger, storage })`) gives that instance to its steps and callbacks as `mastra`.
 * The Mastra class itself is exercised in compat/ and in the Mastra suite harness; here a stand-in
 * registers the way Mastra's addWorkflow does.
 */
function fakeMastra(agents: Record<string, { answer: string }>) {
  return { getAgent: (name: string) => agents[name] };
}

function register(wf: { __registerMastra(m: unknown): void; __registerPrimitives(p: unknown): void }, mastra: object): void {
  wf.__registerMastra(mastra);
  wf.__registerPrimitives({ logger: undefined, storage: undefined });
}

describe.each(MODES)('the Mastra instance on the %s', (mode) => {
  it('steps (also in nested workflows) and onFinish get the registered instance as `mastra`', async () => {
    const mastra = fakeMastra({ paris: { answer: 'Paris' } });
    const seen: unknown[] = [];
    const ask = createStep({
      id: 'ask',
      inputSchema: z.any(),
      outputSchema: z.object({ text: z.string() }),
      execute: async ({ mastra: m }) => {
        seen.push(m);
        return { text: m.getAgent('paris').answer };
      },
    });
    const child = createWorkflow({ id: uid('child'), inputSchema: z.any(), outputSchema: z.any() }).then(ask).commit();
    const finished: unknown[] = [];
    const wf = createWorkflow({
      id: uid('mastra'),
      inputSchema: z.object({}),
      outputSchema: z.any(),
      options: { onFinish: ({ mastra: m }) => void finished.push(m) },
    })
      .then(ask)
      .then(child)
      .commit();
    register(wf, mastra);
    const r = await (await bind(mode, wf).createRun()).start({ inputData: {} });
    expect(r.status).toBe('success');
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(mastra);
    expect(seen[1]).toBe(mastra);
    expect(finished).toEqual([mastra]);
  });

  it('a workflow nobody registered gives `mastra` undefined', async () => {
    const seen: unknown[] = [];
    const step = createStep({ id: 's', inputSchema: z.object({}), outputSchema: z.object({}), execute: async ({ mastra }) => (seen.push(mastra), {}) });
    const wf = bind(mode, createWorkflow({ id: uid('plain'), inputSchema: z.object({}), outputSchema: z.any() }).then(step).commit());
    expect((await (await wf.createRun()).start({ inputData: {} })).status).toBe('success');
    expect(seen).toEqual([undefined]);
  });
});

describe('registered before it has steps', () => {
  it("Mastra's registration commit leaves an empty workflow open; it is built and run afterwards", async () => {
    const mastra = fakeMastra({ paris: { answer: 'Paris' } });
    const wf = createWorkflow({ id: uid('late'), inputSchema: z.object({}), outputSchema: z.any() });
    // What Mastra's addWorkflow does: register, then commit what is not committed yet.
    register(wf, mastra);
    expect(() => wf.commit()).not.toThrow();
    expect(wf.committed).toBe(false);
    await expect(wf.createRun()).rejects.toThrow(/Execution flow of workflow is not defined/);

    const ask = createStep({ id: 'ask', inputSchema: z.object({}), outputSchema: z.object({ text: z.string() }), execute: async ({ mastra: m }) => ({ text: m.getAgent('paris').answer }) });
    wf.then(ask).commit();
    const r = await (await wf.createRun()).start({ inputData: {} });
    expect(r.status === 'success' && r.result).toEqual({ text: 'Paris' });
  });

  it('only that one commit is forgiven: committing an empty workflow again still fails', () => {
    const wf = createWorkflow({ id: uid('empty'), inputSchema: z.object({}), outputSchema: z.any() });
    register(wf, fakeMastra({}));
    wf.commit();
    expect(() => wf.commit()).toThrow(/Execution flow of workflow is not defined/);
  });
});

describe('registration input', () => {
  it('__registerMastra refuses what is not an object; __registerPrimitives and __setLogger an argument that is not one', () => {
    const step = createStep({ id: 's', inputSchema: z.object({}), outputSchema: z.object({}), execute: async () => ({}) });
    const wf = createWorkflow({ id: uid('bad'), inputSchema: z.object({}), outputSchema: z.any() }).then(step).commit();
    expect(() => wf.__registerMastra(null)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => wf.__registerMastra('mastra')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => wf.__registerPrimitives(7)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => wf.__registerPrimitives({ logger: {}, storage: {} })).not.toThrow();
    expect(() => wf.__setLogger('console')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => wf.__setLogger({ info() {} })).not.toThrow();
  });
});

it('a run resumed by another process (SQLite) gets the instance that process registered', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-mastra-'));
  const id = uid('resumed');
  const seen: unknown[] = [];
  const build = (mastra: object) => {
    const gate = createStep({
      id: 'gate',
      inputSchema: z.object({}),
      outputSchema: z.object({}),
      resumeSchema: z.object({ go: z.boolean() }),
      execute: async ({ resumeData, suspend, mastra: m }) => {
        seen.push(m);
        return resumeData ? {} : suspend({});
      },
    });
    const wf = createWorkflow({ id, inputSchema: z.object({}), outputSchema: z.any() }).then(gate).commit();
    register(wf, mastra);
    return wf;
  };
  const firstMastra = fakeMastra({});
  const secondMastra = fakeMastra({});
  try {
    const first = new Weft({ workflows: { wf: build(firstMastra) }, store: sqliteStore({ path: join(dir, 'w.db') }) });
    const run = await first.getWorkflow('wf').createRun();
    expect((await run.start({ inputData: {} })).status).toBe('suspended');
    await first.stop();
    const second = new Weft({ workflows: { wf: build(secondMastra) }, store: sqliteStore({ path: join(dir, 'w.db') }) });
    const done = await (await second.getWorkflow('wf').createRun({ runId: run.runId })).resume({ resumeData: { go: true } });
    await second.stop();
    expect(done.status).toBe('success');
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(firstMastra);
    expect(seen[1]).toBe(secondMastra);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
