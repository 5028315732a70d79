import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, sqliteStore, Weft, WorkflowValidationError, type AnyWorkflow, type Store } from '../../src/index.js';

/**
 * Schema failures read as Mastra's (`Invalid input data: \n- a: ...`, `Step input validation failed:
 * \n- a: ...`) while staying WorkflowValidationError / VALIDATION_FAILED with `issues`; the schema
 * library's issues are kept as `cause.issues`, in process and in the stored error.
 */

const dir = mkdtempSync(join(tmpdir(), 'weft-validation-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let seq = 0;
const STORES: [string, () => Store][] = [
  ['memory', () => memoryStore()],
  ['SQLite', () => sqliteStore({ path: join(dir, `e-${++seq}.db`) })],
];

const engines: Weft[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((w) => w.stop({ timeoutMs: 500 })));
});

const record = <I extends string>(id: I) => createStep({ id, inputSchema: z.any(), outputSchema: z.any(), execute: async ({ inputData }) => inputData });
const start = async (weft: Weft, inputData: unknown) => (await weft.getWorkflow('wf').createRun()).start({ inputData });

describe.each(STORES)('validation errors on %s', (_name, store) => {
  const engine = async (wf: AnyWorkflow) => {
    const weft = new Weft({ store: store(), workflows: { wf } });
    engines.push(weft);
    await weft.start();
    return weft;
  };

  it('a rejected start is a WorkflowValidationError keeping the schema issues as its cause', async () => {
    const wf = createWorkflow({ id: 'wf', inputSchema: z.object({ a: z.string(), b: z.number() }), outputSchema: z.any() }).then(record('x')).commit();
    const err = await start(await engine(wf), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowValidationError);
    expect((err as Error).message).toBe('Invalid input data: \n- a: Invalid input: expected string, received undefined\n- b: Invalid input: expected number, received undefined');
    expect((err as WorkflowValidationError).issues).toEqual([
      { path: 'a', message: 'Invalid input: expected string, received undefined' },
      { path: 'b', message: 'Invalid input: expected number, received undefined' },
    ]);
    const cause = (err as Error).cause as { issues: { path: PropertyKey[]; code?: string }[] };
    expect(cause).toBeInstanceOf(Error);
    expect(cause.issues.map((i) => [i.path, i.code])).toEqual([
      [['a'], 'invalid_type'],
      [['b'], 'invalid_type'],
    ]);
  });

  it('a failed step keeps the issues in the stored error: error.cause.issues', async () => {
    const wf = createWorkflow({ id: 'wf', inputSchema: z.any(), outputSchema: z.any() })
      .then(createStep({ id: 'needs', inputSchema: z.object({ a: z.string(), b: z.number() }), outputSchema: z.any(), execute: async () => ({}) }))
      .commit();
    const weft = await engine(wf);
    const r = await start(weft, {});
    expect(r.status).toBe('failed');
    if (r.status !== 'failed') return;
    expect(r.error).toMatchObject({
      name: 'WorkflowValidationError',
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/^Step input validation failed: \n- a: .*\n- b: /),
      issues: [{ path: 'a' }, { path: 'b' }],
      cause: { issues: [{ path: ['a'], message: expect.any(String) }, { path: ['b'], message: expect.any(String) }] },
    });
    expect(r.steps.needs).toMatchObject({ status: 'failed', error: { message: r.error.message } });
    // the same, read back from the store
    const stored = await weft.getWorkflow('wf').getWorkflowRunExecutionResult(r.runId);
    expect(stored).toMatchObject({ status: 'failed', error: { cause: { issues: [{ path: ['a'] }, { path: ['b'] }] } } });
  });
});
