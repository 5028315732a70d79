import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, postgresStore, RequestContext, sqliteStore, Weft, type Store } from '../../src/index.js';
import { PG_URL, schemaFactory } from '../store/pg-helpers.js';
import { deferred, uid, until, untilStatus } from './helpers.js';

/**
 * A step's changes to the request context are kept with the run: a resumed run (in this process or
 * another one) and a run recovered after a crash see the context its recorded steps left, without
 * running those steps again. A resume's own context merges over it, as in Mastra.
 */
const Empty = z.object({});
const schemas = schemaFactory('ctx');
let admin: pg.Pool;
beforeAll(() => {
  admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
});
afterAll(async () => {
  await schemas.dropAll(admin);
  await admin.end();
});

/** A store that a second engine (a new process) can open again. */
interface Reopenable {
  open(): Store;
  cleanup(): void;
}

const STORES: [string, () => Reopenable][] = [
  [
    'memory',
    () => {
      const store = memoryStore();
      // One memory store stands for the database both "processes" share.
      return { open: () => store, cleanup: () => {} };
    },
  ],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'weft-ctx-'));
      return { open: () => sqliteStore({ path: join(dir, 'w.db') }), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
  [
    'postgres',
    () => {
      const schema = schemas.next();
      return { open: () => postgresStore({ connectionString: PG_URL, schema }), cleanup: () => {} };
    },
  ],
];

function contextWorkflow(id: string, seen: Record<string, unknown>[]) {
  const setUp = createStep({
    id: 'set-up',
    inputSchema: Empty,
    outputSchema: Empty,
    execute: async ({ requestContext }) => {
      requestContext.set('tenant', 'acme');
      requestContext.set('responses', ['first']);
      requestContext.delete('drop-me');
      return {};
    },
  });
  const gate = createStep({
    id: 'gate',
    inputSchema: Empty,
    outputSchema: Empty,
    resumeSchema: z.object({ ok: z.boolean() }),
    execute: async ({ requestContext, resumeData, suspend }) => {
      if (!resumeData) {
        requestContext.set('asked', true);
        return suspend({});
      }
      requestContext.set('responses', [...(requestContext.get('responses') as string[]), 'resumed']);
      return {};
    },
  });
  const read = createStep({
    id: 'read',
    inputSchema: Empty,
    outputSchema: z.any(),
    execute: async ({ requestContext }) => {
      const all = requestContext.toJSON();
      seen.push(all);
      return all;
    },
  });
  return createWorkflow({ id, inputSchema: Empty, outputSchema: z.any() }).then(setUp).then(gate).then(read).commit();
}

describe.each(STORES)('request context across suspend and resume on %s', (_name, make) => {
  it('values a step set before suspending reach the steps after resume, in a new process', async () => {
    const db = make();
    const id = uid('ctx-resume');
    const seen: Record<string, unknown>[] = [];
    try {
      const first = new Weft({ workflows: { wf: contextWorkflow(id, seen) }, store: db.open() });
      const run = await first.getWorkflow('wf').createRun();
      const started = await run.start({ inputData: {}, requestContext: new RequestContext({ user: 'u1', 'drop-me': 1 }) });
      expect(started.status).toBe('suspended');
      // The run view shows the context as the steps left it.
      expect((await first.getWorkflow('wf').getWorkflowRunById(run.runId))?.requestContext).toEqual({ user: 'u1', tenant: 'acme', responses: ['first'], asked: true });
      await first.stop();

      const second = new Weft({ workflows: { wf: contextWorkflow(id, seen) }, store: db.open() });
      const again = await second.getWorkflow('wf').createRun({ runId: run.runId });
      const done = await again.resume({ step: 'gate', resumeData: { ok: true } });
      await second.stop();
      expect(done.status).toBe('success');
      expect(seen).toEqual([{ user: 'u1', tenant: 'acme', responses: ['first', 'resumed'], asked: true }]);
    } finally {
      db.cleanup();
    }
  });

  it("a resume's own context wins over the stored one, which fills in the rest (a Map works too)", async () => {
    const db = make();
    const seen: Record<string, unknown>[] = [];
    try {
      const weft = new Weft({ workflows: { wf: contextWorkflow(uid('ctx-merge'), seen) }, store: db.open() });
      const run = await weft.getWorkflow('wf').createRun();
      await run.start({ inputData: {}, requestContext: { user: 'u1' } });
      const done = await run.resume({ resumeData: { ok: true }, requestContext: new Map<string, unknown>([['tenant', 'other'], ['extra', 1]]) });
      await weft.stop();
      expect(done.status).toBe('success');
      expect(seen).toEqual([{ user: 'u1', tenant: 'other', responses: ['first', 'resumed'], asked: true, extra: 1 }]);
    } finally {
      db.cleanup();
    }
  });
});

describe('request context after a crash', () => {
  it('a run recovered after its engine stopped mid-step sees what its recorded steps set (they do not run again)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-ctx-crash-'));
    const id = uid('ctx-crash');
    const calls = { setUp: 0 };
    const hold = deferred();
    let seen: unknown;
    const build = (blocking: boolean) => {
      const setUp = createStep({
        id: 'set-up',
        inputSchema: Empty,
        outputSchema: Empty,
        execute: async ({ requestContext }) => {
          calls.setUp++;
          requestContext.set('tenant', 'acme');
          return {};
        },
      });
      const read = createStep({
        id: 'read',
        inputSchema: Empty,
        outputSchema: Empty,
        execute: async ({ requestContext, abortSignal }) => {
          if (blocking) await Promise.race([hold.promise, new Promise((r) => abortSignal.addEventListener('abort', r))]);
          seen = requestContext.get('tenant');
          return {};
        },
      });
      return createWorkflow({ id, inputSchema: Empty, outputSchema: Empty }).then(setUp).then(read).commit();
    };
    try {
      const first = new Weft({ workflows: { wf: build(true) }, store: sqliteStore({ path: join(dir, 'w.db') }), worker: { leaseMs: 200 } });
      const run = await first.getWorkflow('wf').createRun();
      await run.startAsync({ inputData: {} });
      await untilStatus(first.getWorkflow('wf'), run.runId, 'running');
      await until(async () => (await first.getWorkflow('wf').getWorkflowRunExecutionResult(run.runId))?.steps['set-up']?.status === 'success');
      // The engine goes away while `read` is in flight: `set-up` is recorded, `read` is not.
      await first.stop({ timeoutMs: 0 });
      seen = undefined;

      const second = new Weft({ workflows: { wf: build(false) }, store: sqliteStore({ path: join(dir, 'w.db') }) });
      await second.start();
      await untilStatus(second.getWorkflow('wf'), run.runId, 'success');
      await second.stop();
      expect(calls.setUp).toBe(1);
      expect(seen).toBe('acme');
    } finally {
      hold.resolve();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a step that puts a value JSON cannot hold into the context fails, saying so', async () => {
    const bad = createStep({
      id: 'bad',
      inputSchema: Empty,
      outputSchema: Empty,
      retries: 2,
      execute: async ({ requestContext }) => {
        requestContext.set('fn', () => 1);
        return {};
      },
    });
    const weft = new Weft({ workflows: { wf: createWorkflow({ id: uid('ctx-bad'), inputSchema: Empty, outputSchema: Empty }).then(bad).commit() }, store: memoryStore() });
    try {
      const r = await (await weft.getWorkflow('wf').createRun()).start({ inputData: {} });
      expect(r.status).toBe('failed');
      expect(r.steps.bad).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'PAYLOAD_NOT_SERIALIZABLE' } });
      expect(r.steps.bad?.error?.message).toMatch(/requestContext/);
    } finally {
      await weft.stop();
    }
  });
});
