import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, postgresStore, sqliteStore, Weft } from '../../src/index.js';
import { waitUntil } from '../support/wait.js';

const N = z.object({ n: z.number() });
const PG_URL = process.env.WEFT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bad-'));
  dirs.push(dir);
  return join(dir, 'weft.db');
}

function twoSteps(id: string, counter: { a: number; b: number }) {
  const a = createStep({ id: 'a', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => (counter.a++, { n: inputData.n + 1 }) });
  const b = createStep({ id: 'b', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => (counter.b++, { n: inputData.n * 2 }) });
  return createWorkflow({ id, inputSchema: N, outputSchema: N }).then(a).then(b).commit();
}

/** Reads `fn` until its value passes `ok`; throws (naming the last value) when it never does. */
async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const hit = await waitUntil(async () => {
    const v = await fn();
    return ok(v) ? { v } : null;
  }, { timeout: ms, interval: 20 });
  return hit.v;
}

describe('bad data never takes the engine down', () => {
  it('a corrupt journal row fails that run alone, with a clear error, and other runs finish', async () => {
    const path = tempDb();
    const counter = { a: 0, b: 0 };
    const wf = twoSteps('corruptible', counter);
    const seed = sqliteStore({ path });
    await seed.open();
    const now = Date.now();
    const { run } = await seed.createRun({
      runId: 'broken', workflowId: 'corruptible', status: 'running', resourceId: null, input: '{"n":1}', state: '{}',
      requestContext: null, tracing: null, priority: 0, concurrencyKey: null, owner: 'dead-host:1:x', leaseExpiresAt: now - 1, now,
    });
    await seed.write([{ type: 'journal', epoch: run.leaseEpoch, entry: { runId: 'broken', path: 'a', kind: 'step', status: 'success', attempt: 1, input: '{"n":1}', output: '{"n": 2', error: null, meta: null, startedAt: now, endedAt: now } }]);
    await seed.close();

    const weft = new Weft({ workflows: { wf }, store: sqliteStore({ path }), worker: { pollMs: 20 } });
    await weft.start();
    const broken = await waitFor(() => wf.getWorkflowRunExecutionResult('broken'), (r) => r?.status === 'failed');
    expect(broken?.status).toBe('failed');
    if (broken?.status === 'failed') {
      expect(broken.error.code).toBe('RUN_CORRUPT');
      expect(broken.error.message).toContain('journal row "a"');
    }
    // The unreadable row is shown as a marker, not an exception, when the run is read.
    expect(broken?.steps.a?.output).toEqual({ unreadable: true, text: '{"n": 2' });
    const good = await (await wf.createRun()).start({ inputData: { n: 5 } });
    expect(good.status === 'success' && good.result).toEqual({ n: 12 });
    await weft.stop();
  });

  it('a stored run of a workflow this process does not have is never failed, shows why, and runs once a process has it', async () => {
    const path = tempDb();
    const counter = { a: 0, b: 0 };
    const seed = sqliteStore({ path });
    await seed.open();
    const now = Date.now();
    await seed.createRun({
      runId: 'orphan', workflowId: 'renamed-away', status: 'pending', resourceId: null, input: '{"n":3}', state: '{}',
      requestContext: null, tracing: null, priority: 0, concurrencyKey: null, owner: null, leaseExpiresAt: null, now,
    });
    await seed.close();

    const other = twoSteps('something-else', { a: 0, b: 0 });
    const without = new Weft({ workflows: { other }, store: sqliteStore({ path }), worker: { pollMs: 10 } });
    await without.start();
    await new Promise((r) => setTimeout(r, 200)); // many poll cycles
    const view = await without.getRun('orphan');
    expect(view?.status).toBe('pending');
    expect(view?.statusReason).toContain('"renamed-away" is not registered');
    const listed = await without.listRuns({});
    expect(listed.runs.find((r) => r.runId === 'orphan')?.statusReason).toContain('not registered');
    await without.stop();

    const wf = twoSteps('renamed-away', counter);
    const withIt = new Weft({ workflows: { wf }, store: sqliteStore({ path }), worker: { pollMs: 10 } });
    await withIt.start();
    const done = await waitFor(() => wf.getWorkflowRunExecutionResult('orphan'), (r) => r?.status === 'success');
    expect(done?.status === 'success' && done.result).toEqual({ n: 8 });
    expect(counter).toEqual({ a: 1, b: 1 });
    await withIt.stop();
  });

  it('a file that is not SQLite gives a clear StoreError from start()', async () => {
    const path = tempDb();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, 'this is not a database, just text '.repeat(200));
    const weft = new Weft({ workflows: {}, store: sqliteStore({ path }) });
    await expect(weft.start()).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
  });

  it('PostgreSQL going away in the middle of a run: store calls are retried and the run finishes', async () => {
    const schema = `weft_outage_${process.pid}_${Date.now()}`;
    const proxy = new FlakyProxy(5432);
    const port = await proxy.listen();
    const url = new URL(PG_URL);
    url.port = String(port);
    let steps = 0;
    let onStep: (n: number) => void = () => {};
    const slow = (id: string) =>
      createStep({
        id,
        inputSchema: N,
        outputSchema: N,
        execute: async ({ inputData }) => {
          steps++;
          onStep(steps);
          await new Promise((r) => setTimeout(r, 30));
          return { n: inputData.n + 1 };
        },
      });
    let wf = createWorkflow({ id: 'outage', inputSchema: N, outputSchema: N });
    for (let i = 0; i < 8; i++) wf = wf.then(slow(`s${i}`));
    const outage = wf.commit();
    const weft = new Weft({ workflows: { outage }, store: postgresStore({ connectionString: url.toString(), schema }), storeRetryMs: 30_000, onError: () => {} });
    try {
      await weft.start();
      const cut = new Promise<void>((resolve) => {
        onStep = (n) => {
          if (n === 3) {
            proxy.cut();
            setTimeout(() => {
              void proxy.listen(port).then(() => resolve());
            }, 1500);
          }
        };
      });
      const run = await outage.createRun();
      const result = await run.start({ inputData: { n: 0 } });
      await cut;
      expect(proxy.cuts).toBe(1);
      expect(result.status).toBe('success');
      expect(result.status === 'success' && result.result).toEqual({ n: 8 });
      expect(steps).toBeGreaterThanOrEqual(8);
    } finally {
      await weft.stop();
      await proxy.close();
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  }, 60_000);
});

/** A TCP proxy to PostgreSQL that can drop every connection and stop listening, like a server going away. */
class FlakyProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  cuts = 0;
  constructor(private readonly targetPort: number) {}

  listen(port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((client) => {
        const upstream = connect(this.targetPort, '127.0.0.1');
        for (const s of [client, upstream]) {
          this.sockets.add(s);
          s.on('close', () => this.sockets.delete(s));
          s.on('error', () => {});
        }
        client.pipe(upstream);
        upstream.pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.server = server;
        resolve((server.address() as { port: number }).port);
      });
    });
  }

  cut(): void {
    this.cuts++;
    this.server?.close();
    this.server = null;
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.cut();
  }
}
