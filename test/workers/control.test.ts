import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { Weft, createStep, createWorkflow, postgresStore } from '../../src/index.js';
import { PG_URL, pgSchema, readLedgers, sleep, spawnWorker, stopProc, tempDir, waitExecution, type Proc } from './harness.js';
import { waitUntil } from '../support/wait.js';

const IDEM_DRIVER = fileURLToPath(new URL('./idem-driver.mjs', import.meta.url));

// The client's copies of the worker's workflows (same ids and schemas; a client never executes them).
const any = z.any();
const stub = (id: string) => createStep({ id, inputSchema: any, outputSchema: any, resumeSchema: any, execute: async () => ({}) });
const slow = createWorkflow({ id: 'slow', inputSchema: any, outputSchema: any }).then(stub('long')).commit();
const quick = createWorkflow({ id: 'quick', inputSchema: z.object({ n: z.number() }), outputSchema: any }).then(stub('q1')).then(stub('q2')).commit();
const gate = createWorkflow({ id: 'gate', inputSchema: z.object({ n: z.number() }), outputSchema: any }).then(stub('wait')).commit();

/** Control from another process, on PostgreSQL: cancel, start/resume from a pure client, idempotent starts, stop. */
describe('control from any process', () => {
  const db = pgSchema('control');
  const tmp = tempDir('control');
  const procs: Proc[] = [];
  const env = { SET: 'control', PG_URL, PG_SCHEMA: db.schema, LEDGER_DIR: tmp.dir, LEASE_MS: '5000', POLL_MS: '1000' };
  let client: Weft;
  let worker: Proc;
  beforeAll(async () => {
    worker = spawnWorker(env);
    procs.push(worker);
    await worker.ready;
    client = new Weft({ workflows: { slow, quick, gate }, store: postgresStore({ connectionString: PG_URL, schema: db.schema }), worker: false });
    await client.start();
  });
  afterAll(async () => {
    await client.stop();
    await Promise.all(procs.map((p) => stopProc(p)));
    await db.drop();
    tmp.remove();
  });

  it('cancel() in this process fires abortSignal in the worker process within a second', async () => {
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await slow.createRun({ runId: `cancel-${i}` });
      await run.startAsync({ inputData: { ms: 60_000 } });
      await waitExecution(tmp.dir, (e) => e.key === `cancel-${i}/long`);
      await sleep(100);
      const t0 = Date.now();
      await run.cancel();
      const aborted = await waitExecution(tmp.dir, (e) => e.key === `cancel-${i}/long` && e.kind === 'A', 5000);
      latencies.push(aborted.t1! - t0);
      expect((await client.getRun(`cancel-${i}`))?.status).toBe('canceled');
    }
    console.log(`[control] cross-process cancel -> abortSignal: ${latencies.join(', ')} ms (worker renews leases every 1667 ms)`);
    expect(Math.max(...latencies)).toBeLessThan(1000);
  }, 60_000);

  it('start() and resume() from a pure client (worker: false) return by notification, not by polling', async () => {
    const t0 = Date.now();
    const run = await quick.createRun({ runId: 'q-1' });
    const result = await run.start({ inputData: { n: 4 } });
    const took = Date.now() - t0;
    expect(result.status).toBe('success');
    expect((result as { result: unknown }).result).toEqual({ v: 50 });
    const ended = readLedgers(tmp.dir).executions.find((e) => e.key === 'q-1/q2')!;
    console.log(`[control] client start(): ${took} ms for two 100 ms steps; result seen ${Date.now() - ended.t1!} ms after the last step ended`);
    // The client's fallback poll starts at 1 s: finishing sooner means the notification woke it.
    expect(took).toBeLessThan(950);

    const g = await gate.createRun({ runId: 'g-1' });
    const suspended = await g.start({ inputData: { n: 1 } });
    expect(suspended.status).toBe('suspended');
    const resumed = await g.resume({ step: 'wait', resumeData: { add: 41 } });
    expect(resumed.status).toBe('success');
    expect((resumed as { result: unknown }).result).toEqual({ v: 42 });
  }, 30_000);

  it('createRun({ runId }) + startAsync from two processes at once makes one run per id, executed once', async () => {
    const a = spawnWorker({ ...env, WORKER: '0', DRIVER: IDEM_DRIVER });
    const b = spawnWorker({ ...env, WORKER: '0', DRIVER: IDEM_DRIVER });
    procs.push(a, b);
    await Promise.all([a.exited, b.exited]);
    await waitUntil(async () => {
      const { rows } = await db.admin.query(`SELECT count(*)::int AS n FROM "${db.schema}".runs WHERE id LIKE 'idem-%' AND status = 'success'`);
      return rows[0].n === 100;
    }, { timeout: 20_000, interval: 100, message: 'all 100 runs to succeed' });
    const { rows } = await db.admin.query(`SELECT id, status FROM "${db.schema}".runs WHERE id LIKE 'idem-%'`);
    expect(rows.length).toBe(100);
    expect(rows.every((r: { status: string }) => r.status === 'success')).toBe(true);
    const execs = readLedgers(tmp.dir).executions.filter((e) => e.key.startsWith('idem-'));
    expect(execs.length).toBe(100);
  }, 60_000);

  it('graceful stop() releases the leases so another worker takes over at once', async () => {
    const other = spawnWorker(env);
    procs.push(other);
    await other.ready;
    // Whichever worker claims it, stop that one.
    const run = await slow.createRun({ runId: 'handover' });
    await run.startAsync({ inputData: { ms: 60_000 } });
    const first = await waitExecution(tmp.dir, (e) => e.key === 'handover/long');
    const owner = [worker, other].find((p) => p.pid === first.pid)!;
    const survivor = owner === worker ? other : worker;
    const t0 = Date.now();
    await stopProc(owner);
    const stoppedIn = Date.now() - t0;
    const next = await waitExecution(tmp.dir, (e) => e.key === 'handover/long' && e.pid === survivor.pid, 10_000);
    const gap = next.t0 - t0 - stoppedIn;
    console.log(`[control] stop() took ${stoppedIn} ms (3 s bound for in-flight steps); the other worker started the run ${gap} ms after it exited (lease 5000 ms, poll 1000 ms)`);
    expect(gap).toBeLessThan(1000);
    await run.cancel();
  }, 60_000);
});
