import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, sqliteStore, Weft } from '../../src/index.js';
import { makeWeft, uid } from './helpers.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Later steps see exactly the output that was recorded. Dates are recorded as Dates (tagged in the JSON)
 * and come back as Dates; another value JSON changes on the way (NaN, undefined in an array) reaches the
 * next step as it will after a replay, on the first execution too; a value JSON cannot carry at all (a
 * Map, a Set, BigInt, a cycle) fails its step.
 */
describe('values between steps are the recorded values, crash or no crash', () => {
  it('the next step sees the same value on the first execution and after a replay from the journal', async () => {
    const seen: unknown[] = [];
    const produce = createStep({
      id: 'produce',
      inputSchema: z.object({}),
      outputSchema: z.any(),
      execute: async () => ({ d: new Date(0), n: NaN, inf: Infinity, a: [undefined, 1], u: undefined, nested: { when: new Date(1000) } }),
    });
    const consume = createStep({
      id: 'consume',
      inputSchema: z.any(),
      outputSchema: z.any(),
      resumeSchema: z.object({ go: z.boolean() }),
      execute: async ({ inputData, resumeData, suspend }) => {
        seen.push(inputData);
        if (!resumeData) return suspend({});
        return inputData;
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'weft-values-'));
    const id = uid('values');
    const build = () => createWorkflow({ id, inputSchema: z.object({}), outputSchema: z.any() }).then(produce).then(consume).commit();
    try {
      const first = new Weft({ workflows: { wf: build() }, store: sqliteStore({ path: join(dir, 'w.db') }) });
      const run = await first.getWorkflow('wf').createRun();
      expect((await run.start({ inputData: {} })).status).toBe('suspended');
      await first.stop();

      // A new process: the journal is all there is. The resume replays `produce` from its row.
      const second = new Weft({ workflows: { wf: build() }, store: sqliteStore({ path: join(dir, 'w.db') }) });
      const again = await second.getWorkflow('wf').createRun({ runId: run.runId });
      const done = await again.resume({ resumeData: { go: true } });
      await second.stop();
      expect(done.status).toBe('success');

      const expected = { d: new Date(0), n: null, inf: null, a: [null, 1], nested: { when: new Date(1000) } };
      expect(seen).toHaveLength(2);
      expect(seen[0]).toStrictEqual(expected);
      expect(seen[1]).toStrictEqual(expected);
      expect(done.status === 'success' && done.result).toStrictEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a Date a step returns reaches a later z.date() input as a Date, through a nested workflow and a resume in another process', async () => {
    const seen: unknown[] = [];
    const pick = createStep({
      id: 'pick',
      inputSchema: z.object({}),
      outputSchema: z.object({ at: z.date() }),
      resumeSchema: z.object({ go: z.boolean() }),
      execute: async ({ resumeData, suspend }) => {
        if (!resumeData) return suspend({});
        return { at: new Date('2024-12-31T00:00:00.000Z') };
      },
    });
    const use = createStep({
      id: 'use',
      inputSchema: z.object({ at: z.date() }),
      outputSchema: z.object({ year: z.number(), at: z.date() }),
      execute: async ({ inputData }) => {
        seen.push(inputData.at);
        return { year: inputData.at.getUTCFullYear(), at: inputData.at };
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'weft-dates-'));
    const id = uid('dates');
    const build = () => {
      const child = createWorkflow({ id: `${id}-child`, inputSchema: z.object({}), outputSchema: z.object({ at: z.date() }) }).then(pick).commit();
      return createWorkflow({ id, inputSchema: z.object({}), outputSchema: z.any() }).then(child).then(use).commit();
    };
    try {
      const first = new Weft({ workflows: { wf: build() }, store: sqliteStore({ path: join(dir, 'w.db') }) });
      const run = await first.getWorkflow('wf').createRun();
      expect((await run.start({ inputData: {} })).status).toBe('suspended');
      await first.stop();

      const second = new Weft({ workflows: { wf: build() }, store: sqliteStore({ path: join(dir, 'w.db') }) });
      const done = await (await second.getWorkflow('wf').createRun({ runId: run.runId })).resume({ resumeData: { go: true } });
      const view = await second.getWorkflow('wf').getWorkflowRunExecutionResult(run.runId);
      await second.stop();

      expect(done.status).toBe('success');
      expect(seen).toEqual([new Date('2024-12-31T00:00:00.000Z')]);
      expect(seen[0]).toBeInstanceOf(Date);
      expect(done.status === 'success' && done.result).toEqual({ year: 2024, at: new Date('2024-12-31T00:00:00.000Z') });
      // Read back from the store: the results show Dates, not the tags they are stored with.
      expect(view?.steps[`${id}-child`]).toMatchObject({ status: 'success', output: { at: new Date('2024-12-31T00:00:00.000Z') } });
      expect(view?.status === 'success' && view.result).toEqual({ year: 2024, at: new Date('2024-12-31T00:00:00.000Z') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['a Map', () => ({ m: new Map([[1, 2]]) }), /a Map at key "m"/],
    ['a Set', () => ({ s: new Set([1]) }), /a Set at key "s"/],
    ['a BigInt', () => ({ b: 1n }), /BigInt/],
    ['a cycle', () => {
      const o: Record<string, unknown> = {};
      o.self = o;
      return o;
    }, /circular/i],
    ['a function', () => ({ f: () => 1 }), /a function at key "f"/],
  ])('an output holding %s fails its step at once (PAYLOAD_NOT_SERIALIZABLE, not retried)', async (_what, output, message) => {
    let calls = 0;
    const step = createStep({ id: 'bad-output', inputSchema: z.object({}), outputSchema: z.any(), retries: 3, execute: async () => (calls++, output()) });
    const wf = createWorkflow({ id: uid('bad-output'), inputSchema: z.object({}), outputSchema: z.any() }).then(step).commit();
    makeWeft({ wf });
    const result = await (await wf.createRun()).start({ inputData: {} });
    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(result.error.code).toBe('PAYLOAD_NOT_SERIALIZABLE');
    expect(result.error.message).toMatch(message);
    expect(calls).toBe(1);
  });

  it.each([
    ['a BigInt', { big: 1n }],
    ['a cycle', (() => {
      const o: Record<string, unknown> = {};
      o.self = o;
      return { o };
    })()],
  ])('setState with %s fails the step with PAYLOAD_NOT_SERIALIZABLE, without retries', async (_what, patch) => {
    let calls = 0;
    const step = createStep({
      id: 'bad-state',
      inputSchema: z.object({}),
      outputSchema: z.object({}),
      retries: 3,
      execute: async ({ setState }) => {
        calls++;
        await setState(patch as Record<string, unknown>);
        return {};
      },
    });
    const wf = createWorkflow({ id: uid('bad-state'), inputSchema: z.object({}), outputSchema: z.object({}) }).then(step).commit();
    makeWeft({ wf });
    const result = await (await wf.createRun()).start({ inputData: {} });
    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(result.error.code).toBe('PAYLOAD_NOT_SERIALIZABLE');
    expect(calls).toBe(1);
  });
});

function nested(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = { v };
  return v;
}

describe('nesting depth is limited where values come in', () => {
  const wfOf = (stepOutput?: () => unknown) => {
    const step = createStep({ id: 'echo', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ inputData }) => (stepOutput ? stepOutput() : inputData) });
    return createWorkflow({ id: uid('deep'), inputSchema: z.any(), outputSchema: z.any() }).then(step).commit();
  };

  it('an input nested 4,100 levels deep is rejected with PAYLOAD_TOO_DEEP and nothing is stored', async () => {
    const wf = wfOf();
    const weft = makeWeft({ wf });
    const run = await wf.createRun();
    await expect(run.start({ inputData: nested(4100) })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_DEEP' });
    expect((await weft.listRuns()).total).toBe(0);
  });

  it('a step output nested too deep fails the step; 200 levels are fine and read back', async () => {
    const deep = wfOf(() => nested(300));
    makeWeft({ deep });
    const failed = await (await deep.createRun()).start({ inputData: {} });
    expect(failed.status === 'failed' && failed.error.code).toBe('PAYLOAD_TOO_DEEP');

    const ok = wfOf();
    const weft = makeWeft({ ok });
    const run = await ok.createRun();
    const done = await run.start({ inputData: nested(200) });
    expect(done.status).toBe('success');
    expect((await weft.getRun(run.runId))?.status).toBe('success');
  });
});
