import { afterAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { PG_URL, pgSchema, readLedgers, spawnWorker, stopProc, tempDir, type Proc } from './harness.js';

const DRIVER = fileURLToPath(new URL('./flow-driver.mjs', import.meta.url));

/** concurrency: { limit: 3, key: customer } holds across 4 worker processes under load. */
describe('flow control across workers', () => {
  const db = pgSchema('flow');
  const tmp = tempDir('flow');
  const procs: Proc[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProc(p)));
    await db.drop();
    tmp.remove();
  });

  it('never runs more than 3 runs of one customer at any instant', async () => {
    const env = { SET: 'flow', PG_URL, PG_SCHEMA: db.schema, LEDGER_DIR: tmp.dir, LEASE_MS: '5000', POLL_MS: '200', CONCURRENCY: '25' };
    for (let i = 0; i < 4; i++) procs.push(spawnWorker(env));
    await Promise.all(procs.map((p) => p.ready));
    const t0 = Date.now();
    const driver = spawnWorker({ ...env, WORKER: '0', DRIVER });
    procs.push(driver);
    await driver.waitFor((l) => l === 'done', 120_000);
    const elapsed = Date.now() - t0;

    const { rows } = await db.admin.query(`SELECT id, status, result FROM "${db.schema}".runs`);
    expect(rows.length).toBe(500);
    for (const r of rows as { id: string; status: string; result: string }[]) {
      expect(r.status).toBe('success');
      expect(JSON.parse(r.result)).toEqual({ v: (Number(r.id.slice(2)) + 1) * 2 });
    }

    // A run is running from its first step's start to its last step's end; sweep per customer.
    const span = new Map<string, { from: number; to: number; pid: Set<number> }>();
    for (const e of readLedgers(tmp.dir).executions) {
      const runId = e.key.split('/')[0]!;
      const s = span.get(runId) ?? { from: Infinity, to: -Infinity, pid: new Set() };
      s.from = Math.min(s.from, e.t0);
      s.to = Math.max(s.to, e.t1 ?? Infinity);
      s.pid.add(e.pid);
      span.set(runId, s);
    }
    let worst = 0;
    const workersUsed = new Set<number>();
    for (let c = 0; c < 10; c++) {
      const points: [number, number][] = [];
      for (const [runId, s] of span) {
        if (Number(runId.slice(2)) % 10 !== c) continue;
        points.push([s.from, 1], [s.to, -1]);
        for (const p of s.pid) workersUsed.add(p);
      }
      // Ends before starts at the same millisecond: a run that ended as another began is not overlap.
      points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let now = 0;
      for (const [, d] of points) {
        now += d;
        worst = Math.max(worst, now);
      }
    }
    console.log(`[flow] 500 runs, 10 customers, limit 3 per customer, 4 workers: ${elapsed} ms; max running per customer ${worst}; workers used ${workersUsed.size}`);
    expect(worst).toBeLessThanOrEqual(3);
    expect(worst).toBe(3);
    expect(workersUsed.size).toBe(4);
  }, 150_000);
});
