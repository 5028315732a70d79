import { afterAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import {
  PG_URL,
  ProcessEvents,
  overlaps,
  pgSchema,
  readLedgers,
  reruns,
  sleep,
  spawnWorker,
  stopProc,
  tempDir,
  type Proc,
} from './harness.js';
// @ts-expect-error plain ESM helper shared with the child processes
import { CHAOS_ORDER, expected } from './workflows.mjs';

const DRIVER = fileURLToPath(new URL('./chaos-driver.mjs', import.meta.url));
const TOTAL = 2000;
const LEASE_MS = 2000;

/**
 * 4 worker processes on one PostgreSQL schema execute 2,000 runs of five workflows (sequential,
 * parallel, durable sleep, suspend + resume from another process, retry) while workers are SIGKILLed
 * (and restarted) and SIGSTOPped past their lease (and continued) at random.
 */
describe('chaos: many workers on PostgreSQL', () => {
  const db = pgSchema('chaos');
  const tmp = tempDir('chaos');
  afterAll(async () => {
    await db.drop();
    tmp.remove();
  });

  it('finishes every run with the right result; no step runs in two workers at once or again after its commit', async () => {
    const t0 = Date.now();
    const env = {
      SET: 'chaos',
      PG_URL,
      PG_SCHEMA: db.schema,
      LEDGER_DIR: tmp.dir,
      LEASE_MS: String(LEASE_MS),
      POLL_MS: '200',
      CONCURRENCY: '25',
    };
    const events = new ProcessEvents();
    const workers: Proc[] = [];
    for (let i = 0; i < 4; i++) workers.push(spawnWorker(env));
    await Promise.all(workers.map((w) => w.ready));
    const driver = spawnWorker({ ...env, WORKER: '0', DRIVER, TOTAL: String(TOTAL), SPREAD_MS: '30000' });
    let done = false;
    const finished = driver.waitFor((l) => l === 'done', 170_000).then(() => {
      done = true;
    });
    finished.catch(() => {});

    let kills = 0;
    let longStops = 0;
    let shortStops = 0;
    const pending: Promise<void>[] = [];
    // Chaos: while runs are in flight, one action every 0.6-1.2 s on a random worker that is not
    // already stopped: SIGKILL + restart, SIGSTOP past the lease, or a short SIGSTOP.
    const busy = new Set<number>();
    while (!done && Date.now() - t0 < 150_000) {
      await sleep(400 + Math.random() * 500);
      if (done) break;
      const idx = Math.floor(Math.random() * workers.length);
      const w = workers[idx]!;
      if (busy.has(w.pid)) continue;
      const dice = Math.random();
      if (dice < 0.35) {
        kills++;
        w.child.kill('SIGKILL');
        events.killed(w.pid, Date.now());
        await w.exited;
        const fresh = spawnWorker(env);
        workers[idx] = fresh;
        await fresh.ready;
      } else {
        const long = dice < 0.75;
        if (long) longStops++;
        else shortStops++;
        const ms = long ? LEASE_MS + 500 + Math.random() * 1500 : 200 + Math.random() * 600;
        busy.add(w.pid);
        const from = Date.now();
        w.child.kill('SIGSTOP');
        pending.push(
          sleep(ms).then(() => {
            w.child.kill('SIGCONT');
            events.stopped(w.pid, from, Date.now());
            busy.delete(w.pid);
          }),
        );
      }
    }
    await finished;
    await Promise.all(pending);
    const elapsed = Date.now() - t0;
    await Promise.all(workers.map((w) => stopProc(w)));
    await driver.exited;

    // Every run finished with its workflow's result.
    const { rows } = await db.admin.query<{ id: string; workflow_id: string; status: string; result: string | null }>(
      `SELECT id, workflow_id, status, result FROM "${db.schema}".runs`,
    );
    expect(rows.length).toBe(TOTAL);
    const wrong: string[] = [];
    for (const r of rows) {
      const n = Number(r.id.slice(2));
      const wf = CHAOS_ORDER[n % CHAOS_ORDER.length];
      if (r.workflow_id !== wf || r.status !== 'success' || JSON.stringify(JSON.parse(r.result ?? 'null')) !== JSON.stringify(expected(wf, n))) {
        wrong.push(`${r.id} ${r.workflow_id} ${r.status} ${r.result}`);
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);

    const ledger = readLedgers(tmp.dir);
    const overlapping = overlaps(ledger.executions, events);
    const again = reruns(ledger);
    const byKind = new Map<string, number>();
    for (const l of ledger.leaseLost) byKind.set(l.kind, (byKind.get(l.kind) ?? 0) + 1);
    const aborted = ledger.executions.filter((e) => e.kind === 'A').length;
    const repeats = ledger.executions.length - new Set(ledger.executions.map((e) => e.key)).size;
    console.log(
      `[chaos] ${TOTAL} runs, 4 workers, lease ${LEASE_MS} ms: ${(elapsed / 1000).toFixed(1)} s; ` +
        `${kills} SIGKILLs, ${longStops} SIGSTOPs past the lease, ${shortStops} short SIGSTOPs; ` +
        `${ledger.executions.length} step executions (${repeats} repeated, ${aborted} aborted by their signal); ` +
        `lease losses noticed: fenced writes ${byKind.get('fenced') ?? 0}, local expiry ${byKind.get('expired') ?? 0}, ` +
        `renewal ${byKind.get('renew') ?? 0}; overlaps ${overlapping.length}; re-runs after commit ${again.length}`,
    );
    expect(overlapping.slice(0, 10)).toEqual([]);
    expect(again.slice(0, 10)).toEqual([]);
    expect(kills + longStops).toBeGreaterThan(3);
  }, 200_000);
});
