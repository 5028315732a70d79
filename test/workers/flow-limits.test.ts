import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { postgresStore } from '../../src/index.js';
import { waitUntil } from '../support/wait.js';
import { PG_URL, pgSchema, readLedgers, spawnWorker, stopProc, tempDir, type Execution, type Proc } from './harness.js';

const DRIVER = fileURLToPath(new URL('./limits-driver.mjs', import.meta.url));
type Sent = Record<string, { n: number; runId: string }[]>;

/** The shortest gap between a start and the `limit`-th start after it: at least the period when the limit held. */
function worstWindow(times: number[], limit: number): number {
  const t = [...times].sort((a, b) => a - b);
  let worst = Infinity;
  for (let i = 0; i + limit < t.length; i++) worst = Math.min(worst, t[i + limit]! - t[i]!);
  return worst;
}

/**
 * Flow control with 4 worker processes and 4 client processes starting runs at once on PostgreSQL, one
 * worker SIGKILLed mid-way. The database's own record of first starts (an audit trigger on flow_runs)
 * and the workers' step ledgers show each limit held exactly, and every start accounted for.
 */
describe('flow control across processes (PostgreSQL)', () => {
  const db = pgSchema('limits');
  const tmp = tempDir('limits');
  const procs: Proc[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProc(p)));
    await db.drop();
    tmp.remove();
  });

  it('holds throttle, rate limit, debounce, singleton, batch and idempotency across workers, under SIGKILL', async () => {
    const s = `"${db.schema}"`;
    const store = postgresStore({ connectionString: PG_URL, schema: db.schema });
    await store.open();
    await store.close();
    // The ledger of first starts, written by the database in the transactions that record them.
    await db.admin.query(`CREATE TABLE ${s}.audit (seq BIGSERIAL, run_id TEXT, workflow_id TEXT, key TEXT, started_at BIGINT)`);
    await db.admin.query(`CREATE FUNCTION ${s}.audit_start() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF NEW.started_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.started_at IS NULL) THEN
          INSERT INTO ${s}.audit (run_id, workflow_id, key, started_at) VALUES (NEW.run_id, NEW.workflow_id, NEW.key, NEW.started_at);
        END IF; RETURN NULL; END $$`);
    await db.admin.query(`CREATE TRIGGER audit_start AFTER INSERT OR UPDATE ON ${s}.flow_runs FOR EACH ROW EXECUTE FUNCTION ${s}.audit_start()`);

    const env = { SET: 'limits', PG_URL, PG_SCHEMA: db.schema, LEDGER_DIR: tmp.dir, LEASE_MS: '2000', POLL_MS: '100', CONCURRENCY: '20' };
    const workers = Array.from({ length: 4 }, () => spawnWorker(env));
    procs.push(...workers);
    await Promise.all(workers.map((p) => p.ready));
    const drivers = Array.from({ length: 4 }, (_, i) => spawnWorker({ ...env, WORKER: '0', DRIVER, DRIVER_ID: String(i + 1) }));
    procs.push(...drivers);
    await Promise.all(drivers.map((p) => p.ready));
    writeFileSync(join(tmp.dir, 'go'), '');

    // Once the first throttled step ran, kill a worker outright and start a replacement.
    await waitUntil(() => readLedgers(tmp.dir).executions.some((e) => e.key.startsWith('throttled-')), { timeout: 60_000, message: 'a first execution' });
    const victim = workers[0]!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    const replacement = spawnWorker(env);
    procs.push(replacement);

    const sent: Sent = {};
    for (const d of drivers) {
      const line = await d.waitFor((l) => l.startsWith('sent '), 120_000);
      for (const [wf, list] of Object.entries(JSON.parse(line.slice(5)) as Sent)) (sent[wf] ??= []).push(...list);
    }
    await waitUntil(
      async () => (await db.admin.query(`SELECT 1 FROM ${s}.runs WHERE status NOT IN ('success', 'failed', 'canceled') LIMIT 1`)).rowCount === 0,
      { timeout: 120_000, message: 'every run to end', interval: 200 },
    );

    const runs = (await db.admin.query<{ id: string; workflow_id: string; status: string; status_reason: string | null; input: string }>(
      `SELECT id, workflow_id, status, status_reason, input FROM ${s}.runs`,
    )).rows;
    const of = (wf: string) => runs.filter((r) => r.workflow_id === wf);
    const audit = (await db.admin.query<{ run_id: string; workflow_id: string; key: string; started_at: string }>(`SELECT * FROM ${s}.audit ORDER BY seq`)).rows;
    const starts = (wf: string) => audit.filter((a) => a.workflow_id === wf);

    // Nothing lost, nothing failed: every run succeeded, or was skipped with its reason.
    for (const r of runs) {
      if (r.status !== 'success') expect(r.status_reason ?? '', `${r.id} ${r.status}`).toMatch(/^skipped: /);
    }
    // Every run's first start was recorded once, whoever claimed it and whoever died.
    expect(new Set(audit.map((a) => a.run_id)).size).toBe(audit.length);

    // Throttle: 5 first starts per customer per second, all 96 runs ran.
    expect(of('throttled').map((r) => r.status)).toEqual(Array(96).fill('success'));
    expect(starts('throttled')).toHaveLength(96);
    for (const k of ['c0', 'c1', 'c2', 'c3']) {
      const t = starts('throttled').filter((a) => a.key === k).map((a) => Number(a.started_at));
      expect(t).toHaveLength(24);
      expect(worstWindow(t, 5), `throttle window of ${k}`).toBeGreaterThanOrEqual(1000);
    }

    // Rate limit (skip): never more than 10 admitted per 2 s; the rest recorded as skipped.
    const admitted = starts('rated').map((a) => Number(a.started_at));
    expect(of('rated')).toHaveLength(120);
    expect(admitted.length).toBeGreaterThanOrEqual(10);
    expect(worstWindow(admitted, 10)).toBeGreaterThanOrEqual(2000);
    expect(of('rated').filter((r) => r.status === 'success')).toHaveLength(admitted.length);
    expect(of('rated').filter((r) => r.status === 'canceled')).toHaveLength(120 - admitted.length);

    // Debounce: 8 keys x 20 starts from 4 processes -> 8 runs; every start of a key got that key's run.
    const debounced = await db.admin.query(`SELECT id, input, created_at, updated_at FROM ${s}.runs WHERE workflow_id = 'debounced' ORDER BY input`);
    expect(of('debounced'), JSON.stringify(debounced.rows)).toHaveLength(8);
    const byKey = new Map<string, Set<string>>();
    for (const x of sent.debounced!) {
      const r = runs.find((q) => q.id === x.runId)!;
      const k = (JSON.parse(r.input) as { k: string }).k;
      (byKey.get(k) ?? byKey.set(k, new Set()).get(k)!).add(x.runId);
    }
    expect([...byKey.values()].map((v) => v.size)).toEqual(Array(8).fill(1));

    // Singleton (skip): per key, no two executions of its step overlap in time (dead processes' open ones aside).
    const dead = victim.pid;
    const ledger = readLedgers(tmp.dir);
    const inputOf = new Map(runs.map((r) => [r.id, JSON.parse(r.input) as { k: string }]));
    for (const k of ['s0', 's1']) {
      const spans = ledger.executions
        .filter((e: Execution) => e.key.endsWith('/single-s') && inputOf.get(e.key.split('/')[0]!)?.k === k && !(e.pid === dead && e.t1 === null))
        .sort((a, b) => a.t0 - b.t0);
      expect(spans.length).toBeGreaterThan(0);
      for (let i = 1; i < spans.length; i++) expect(spans[i]!.t0, `singleton ${k} overlap`).toBeGreaterThanOrEqual(spans[i - 1]!.t1!);
    }
    expect(of('single').filter((r) => r.status === 'success').length).toBeGreaterThan(0);

    // Batch: the 100 items are in exactly one batch each, none over 10.
    const items = of('batched').flatMap((r) => {
      const arr = JSON.parse(r.input) as { n: number }[];
      expect(arr.length).toBeLessThanOrEqual(10);
      return arr.map((x) => x.n);
    });
    expect(items.sort((a, b) => a - b)).toEqual(sent.batched!.map((x) => x.n).sort((a, b) => a - b));
    expect(new Set(items).size).toBe(100);

    // Idempotency: 20 keys from 4 processes -> 20 runs; every process got the same run for a key.
    expect(of('idem')).toHaveLength(20);
    const idemRuns = new Map<number, Set<string>>();
    for (const x of sent.idem!) (idemRuns.get(x.n % 1000) ?? idemRuns.set(x.n % 1000, new Set()).get(x.n % 1000)!).add(x.runId);
    expect([...idemRuns.values()].map((v) => v.size)).toEqual(Array(20).fill(1));

    console.log(
      `[flow-limits] runs ${runs.length}; throttled 96; rate admitted ${admitted.length}/120; debounced 8 runs for 160 starts; ` +
        `batches ${of('batched').length} for 100 items; singleton runs ${of('single').filter((r) => r.status === 'success').length}/80; killed pid ${dead}`,
    );
  }, 240_000);
});
