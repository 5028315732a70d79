import { afterAll, describe, expect, it } from 'vitest';
import { Weft, postgresStore } from '../../src/index.js';
import { PG_URL, pgSchema, readLedgers, sleep, spawnWorker, stopProc, tempDir, type Proc } from './harness.js';
import { tick } from './cron-client.js';
import { waitUntil } from '../support/wait.js';

/** A schedule every second with 3 workers: exactly one run per fire time; pause/resume/trigger shared. */
describe('cron schedules across workers', () => {
  const db = pgSchema('cron');
  const tmp = tempDir('cron');
  const procs: Proc[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProc(p)));
    await db.drop();
    tmp.remove();
  });

  it('makes exactly one run per fire time for 10 seconds, and obeys pause, resume and trigger', async () => {
    const env = { SET: 'cron', PG_URL, PG_SCHEMA: db.schema, LEDGER_DIR: tmp.dir, LEASE_MS: '5000', POLL_MS: '500' };
    for (let i = 0; i < 3; i++) procs.push(spawnWorker(env));
    await Promise.all(procs.map((p) => p.ready));
    const from = Date.now();
    await sleep(10_000);
    const to = Date.now();

    const client = new Weft({ workflows: { tick }, store: postgresStore({ connectionString: PG_URL, schema: db.schema }), worker: false });
    await client.start();
    const paused = await client.pauseSchedule('tick');
    expect(paused.paused).toBe(true);
    const pausedAt = Date.now();
    await sleep(1500);

    const { rows } = await db.admin.query<{ id: string; status: string }>(`SELECT id, status FROM "${db.schema}".runs WHERE id LIKE 'cron:tick:%'`);
    const times = rows.map((r) => Date.parse(r.id.slice('cron:tick:'.length))).sort((a, b) => a - b);
    const inWindow = times.filter((t) => t > from && t <= to);
    // One run per second, none missing, none twice (run ids are the fire times).
    for (let i = 1; i < inWindow.length; i++) expect(inWindow[i]! - inWindow[i - 1]!).toBe(1000);
    expect(inWindow.length).toBeGreaterThanOrEqual(9);
    expect(new Set(times).size).toBe(times.length);
    // Each ran its step exactly once, in one of the workers, and the work spread over workers.
    const keys = inWindow.map((t) => `cron:tick:${new Date(t).toISOString()}/fire`);
    const execs = await waitUntil(() => {
      const all = readLedgers(tmp.dir).executions;
      return keys.every((k) => all.some((e) => e.key === k)) ? all : null;
    }, { message: 'every fire in the window to have executed' });
    const perRun = new Map<string, number>();
    for (const e of execs) perRun.set(e.key, (perRun.get(e.key) ?? 0) + 1);
    for (const t of inWindow) expect(perRun.get(`cron:tick:${new Date(t).toISOString()}/fire`)).toBe(1);
    // Paused: no fire after the pause (allow the one that was in flight).
    expect(times.filter((t) => t > pausedAt + 1000)).toEqual([]);
    const pids = new Set(execs.map((e) => e.pid));
    console.log(`[cron] 3 workers, every second, 10 s: ${inWindow.length} fire times, ${rows.length} runs in total, 1 run each; executed by ${pids.size} workers`);

    const list = await client.listSchedules();
    expect(list).toMatchObject([{ workflowId: 'tick', cron: '* * * * * *', paused: true, nextFireAt: null }]);
    const { runId } = await client.triggerSchedule('tick');
    const manual = await tick.createRun({ runId });
    expect(runId.startsWith('cron:tick:manual:')).toBe(true);
    const resumedAt = Date.now();
    const resumed = await client.resumeSchedule('tick');
    expect(resumed.paused).toBe(false);
    const fresh = await waitUntil(async () => {
      const res = await db.admin.query(`SELECT count(*)::int AS n FROM "${db.schema}".runs WHERE id LIKE 'cron:tick:20%' AND id > $1`, [
        `cron:tick:${new Date(resumedAt).toISOString()}`,
      ]);
      return res.rows[0].n >= 1 ? res.rows[0].n : 0;
    }, { timeout: 5000, message: 'a fire after the schedule was resumed' });
    expect(fresh).toBeGreaterThanOrEqual(1);
    const manualDone = await waitUntil(async () => ((await client.getRun(manual.runId))?.status === 'success' ? 'success' : null), {
      message: 'the manually triggered run to finish',
    });
    expect(manualDone).toBe('success');
    await client.stop();
  }, 60_000);
});
