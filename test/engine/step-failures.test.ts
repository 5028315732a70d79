import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow } from '../../src/index.js';
import { makeWeft, uid } from './helpers.js';

/**
 * A step fails when its execute rejects, whatever the rejection value: `undefined` and `null` are
 * failures like any Error (retried, then failed with a message that says what was thrown), never a
 * success with an undefined output.
 */
const rejections: [string, () => unknown, RegExp][] = [
  ['new Promise((_, rej) => rej())', () => new Promise((_, rej) => rej()), /threw undefined/],
  ['Promise.reject()', () => Promise.reject(), /threw undefined/],
  ['throw undefined (async)', async () => {
    throw undefined;
  }, /threw undefined/],
  ['throw undefined (sync)', () => {
    throw undefined;
  }, /threw undefined/],
  ['Promise.reject(null)', () => Promise.reject(null), /threw null/],
  ['Promise.reject(42)', () => Promise.reject(42), /threw 42/],
  ['Promise.reject({ reason: "x" })', () => Promise.reject({ reason: 'x' }), /threw \{"reason":"x"\}/],
];

describe('a step that rejects is a failure, whatever it rejects with', () => {
  it.each(rejections)('%s: retried 3 times, then failed with a clear message', async (_name, execute, message) => {
    let calls = 0;
    const step = createStep({
      id: 'rejects',
      inputSchema: z.object({}),
      outputSchema: z.object({ ok: z.boolean() }),
      retries: 3,
      execute: () => {
        calls++;
        return execute() as Promise<{ ok: boolean }>;
      },
    });
    const after = createStep({ id: 'after', inputSchema: z.any(), outputSchema: z.any(), execute: async () => ({ reached: true }) });
    const wf = createWorkflow({ id: uid('rejects'), inputSchema: z.object({}), outputSchema: z.any() }).then(step).then(after).commit();
    makeWeft({ wf });
    const result = await (await wf.createRun()).start({ inputData: {} });
    expect(calls).toBe(4);
    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(result.error.message).toMatch(message);
    expect(result.error.message).toContain('"rejects"');
    expect(result.steps.rejects).toMatchObject({ status: 'failed', attempts: 4 });
    expect(result.steps.after).toBeUndefined();
  });
});
