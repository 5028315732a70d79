import { afterAll, describe, expect, it } from 'vitest';
import { PG_URL, insertPendingRun, pgSchema, readLedgers, spawnWorker, stopProc, tempDir, waitExecution, type Proc } from './harness.js';
import { waitUntil } from '../support/wait.js';

const LEASE_MS = 2000;

/**
 * Takeover and fencing with real processes on PostgreSQL (lease 2 s): a worker that dies loses its run
 * to another worker; a worker paused past its lease notices when it wakes, aborts its step and writes
 * nothing; with the local lease guard disarmed, the store's epoch fencing rejects the zombie's writes.
 */
describe('leases: takeover and fencing', () => {
  const db = pgSchema('takeover');
  const tmp = tempDir('takeover');
  const procs: Proc[] = [];
  const env = { SET: 'control', PG_URL, PG_SCHEMA: db.schema, LEDGER_DIR: tmp.dir, LEASE_MS: String(LEASE_MS), POLL_MS: '200' };
  const start = async (extra: Record<string, string> = {}): Promise<Proc> => {
    const p = spawnWorker({ ...env, ...extra });
    procs.push(p);
    await p.ready;
    return p;
  };
  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProc(p)));
    await db.drop();
    tmp.remove();
  });

  it('a SIGKILLed worker loses its run to another at once (same host), a SIGSTOPped one after its lease', async () => {
    const a = await start();
    await insertPendingRun(db.admin, db.schema, 'k1', 'slow', { ms: 60_000 });
    await waitExecution(tmp.dir, (e) => e.key === 'k1/long' && e.pid === a.pid);
    const b = await start();
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    const byB = await waitExecution(tmp.dir, (e) => e.key === 'k1/long' && e.pid === b.pid);
    const afterKill = byB.t0 - killedAt;

    // SIGSTOP: the process still exists, so only the lease expiry frees the run (as for a remote host).
    await insertPendingRun(db.admin, db.schema, 's1', 'slow', { ms: 60_000 });
    await waitExecution(tmp.dir, (e) => e.key === 's1/long' && e.pid === b.pid);
    const c = await start();
    const stoppedAt = Date.now();
    b.child.kill('SIGSTOP');
    const byC = await waitExecution(tmp.dir, (e) => e.key === 's1/long' && e.pid === c.pid, 15_000);
    const afterStop = byC.t0 - stoppedAt;
    b.child.kill('SIGCONT');
    // B wakes up, notices it lost both runs' leases, aborts the steps and lets go.
    await waitExecution(tmp.dir, (e) => e.key === 's1/long' && e.pid === b.pid && e.kind === 'A', 5000);
    const lost = readLedgers(tmp.dir).leaseLost.filter((l) => l.pid === b.pid && l.runId === 's1');
    const { rows } = await db.admin.query(`SELECT owner, status FROM "${db.schema}".runs WHERE id = 's1'`);
    console.log(
      `[takeover] lease ${LEASE_MS} ms, poll 200 ms: after SIGKILL ${afterKill} ms (dead pid on this host), ` +
        `after SIGSTOP ${afterStop} ms (lease expiry: lease - time since the last renewal + poll); the paused worker noticed by ${lost.map((l) => l.kind).join(', ')}`,
    );
    expect(afterStop).toBeGreaterThanOrEqual(LEASE_MS - 700);
    expect(afterStop).toBeLessThan(LEASE_MS + 2500);
    expect(afterKill).toBeLessThan(LEASE_MS + 2500);
    expect(lost.length).toBeGreaterThan(0);
    expect(rows[0].owner).toContain(`:${c.pid}:`);
    await stopProc(b);
    await stopProc(c);
  }, 60_000);

  it('with the lease guard disarmed, a zombie that wakes up and completes its step is fenced by the store', async () => {
    const z = await start({ NO_LEASE_GUARD: '1' });
    await insertPendingRun(db.admin, db.schema, 'f1', 'slow', { ms: 300 });
    await waitExecution(tmp.dir, (e) => e.key === 'f1/long' && e.pid === z.pid);
    z.child.kill('SIGSTOP');
    const other = await start();
    const byOther = await waitExecution(tmp.dir, (e) => e.key === 'f1/long' && e.pid === other.pid, 15_000);
    z.child.kill('SIGCONT');
    const fenced = await waitUntil(() => {
      const hits = readLedgers(tmp.dir).leaseLost.filter((l) => l.pid === z.pid && l.runId === 'f1' && l.kind === 'fenced');
      return hits.length ? hits : null;
    }, { timeout: 5000, message: 'the zombie\'s write to be fenced' });
    await waitExecution(tmp.dir, (e) => e.key === 'f1/long' && e.pid === other.pid && e.kind === 'E', 5000);
    const rows = await waitUntil(async () => {
      const res = await db.admin.query(`SELECT status, owner FROM "${db.schema}".runs WHERE id = 'f1'`);
      return res.rows[0]?.status === 'success' ? res.rows : null;
    }, { timeout: 5000, message: 'the run to be recorded as success by the worker that took over' });
    const zombieEnd = readLedgers(tmp.dir).executions.find((e) => e.key === 'f1/long' && e.pid === z.pid);
    console.log(`[fencing] zombie step ended ${zombieEnd?.kind} after waking; writes rejected by fencing: ${fenced.length}`);
    expect(byOther).toBeTruthy();
    expect(fenced.length).toBeGreaterThan(0);
    expect(rows[0].status).toBe('success');
  }, 60_000);
});
