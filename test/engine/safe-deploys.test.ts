import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, memoryStore, postgresStore, sqliteStore, Weft } from '../../src/index.js';
import type { AnyWorkflow, Store, WeftOptions } from '../../src/index.js';
import { PG_URL, schemaFactory } from '../store/pg-helpers.js';
import { waitUntil } from '../support/wait.js';
import { replayRuns } from '../../src/testing/index.js';

/**
 * Safe deploys on every store: the graph fingerprint kept with each run, `weft.check()` comparing every
 * unfinished run with new code, a run whose journal no longer fits parked instead of corrupted (the
 * upgrade scenario of issue 16: two steps renamed under a suspended and a sleeping run), and two
 * versions of one workflow registered side by side.
 */
const dirs: string[] = [];
const wefts: Weft[] = [];
const schemas = schemaFactory('safe');
const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });

afterEach(async () => {
  for (const w of wefts.splice(0)) await w.stop();
});

afterAll(async () => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  await schemas.dropAll(admin);
  await admin.end();
});

/** Each call of `open()` opens another store on the same data (a new deploy on the same database). */
const STORES: { name: string; make: () => { open: () => Store } }[] = [
  {
    name: 'memory',
    make: () => {
      const store = memoryStore();
      return { open: () => store };
    },
  },
  {
    name: 'sqlite',
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), 'weft-safe-'));
      dirs.push(dir);
      return { open: () => sqliteStore({ path: join(dir, 'weft.db') }) };
    },
  },
  {
    name: 'postgres',
    make: () => {
      const schema = schemas.next();
      return { open: () => postgresStore({ connectionString: PG_URL, schema }) };
    },
  },
];

function engine(store: Store, workflows: WeftOptions['workflows'], opts: Omit<WeftOptions, 'workflows' | 'store'> = {}): Weft {
  const weft = new Weft({ store, workflows, inProcessSleepMs: 0, worker: { pollMs: 20 }, ...opts });
  wefts.push(weft);
  return weft;
}

const Plan = z.object({ plan: z.string() });

/** The workflow of the issue: plan, approve (suspends), execute; step ids and version as given. */
function deploy(o: { version: number; plan: string; approve: string; sleepMs?: number; calls: string[] }): AnyWorkflow {
  const mk = (id: string, body: (x: { plan: string }) => { plan: string }, suspend = false) =>
    createStep({
      id,
      inputSchema: Plan,
      outputSchema: Plan,
      resumeSchema: z.object({ ok: z.boolean() }),
      execute: async ({ inputData, resumeData, suspend: pause }) => {
        o.calls.push(`v${o.version}:${id}`);
        if (suspend && resumeData === undefined) return pause({ ask: id });
        return body(inputData);
      },
    });
  let w = createWorkflow({ id: 'deploy', version: o.version, inputSchema: Plan, outputSchema: Plan }).then(mk(o.plan, (x) => ({ plan: `${x.plan}+planned` })));
  if (o.sleepMs !== undefined) w = w.sleep(o.sleepMs);
  return w.then(mk(o.approve, (x) => x, true)).then(mk('execute', (x) => ({ plan: `${x.plan}+done` }))).commit();
}

describe.each(STORES)('safe deploys on the $name store', ({ make }) => {
  it('keeps the fingerprint of the definition a run started on, with the version', async () => {
    const db = make();
    const calls: string[] = [];
    const v1 = deploy({ version: 1, plan: 'plan', approve: 'approve-plan', calls });
    const store = db.open();
    const weft = engine(store, { v1 });
    const run = await v1.createRun();
    await run.start({ inputData: { plan: 'p' } });
    const stored = await store.loadRun(run.runId);
    expect(stored?.fingerprint).toMatch(/^1:[0-9a-f]{16}$/);
    // Another graph (a step renamed) has another fingerprint; the same graph with other code the same.
    const v1b = deploy({ version: 1, plan: 'plan', approve: 'approve-plan', calls: [] });
    const v2 = deploy({ version: 1, plan: 'make-plan', approve: 'approve-plan', calls: [] });
    const report = await weft.check();
    expect(report).toMatchObject({ ok: true, runs: 1, continues: 1, diverges: 0 });
    expect(report.workflows[0]).toMatchObject({ workflowId: 'deploy', registered: true, byFingerprint: { [stored!.fingerprint!]: 1 } });
    const { fingerprintOf } = await import('../../src/engine/fingerprint.js');
    expect(fingerprintOf(v1b)).toBe(stored!.fingerprint);
    expect(fingerprintOf(v2)).not.toBe(stored!.fingerprint);
  });

  it('the upgrade scenario: check reports the break; the run is parked or refused, never re-run or left with a ghost step', async () => {
    const db = make();
    const old: string[] = [];
    // The timer fires well after the old engine stopped; a short lease bounds the wait if a loaded
    // machine let the old worker claim the run while stopping.
    const v1 = deploy({ version: 1, plan: 'plan', approve: 'approve-plan', sleepMs: 1500, calls: old });
    const before = engine(db.open(), { v1 }, { worker: { pollMs: 20, leaseMs: 2000 } });
    // One run suspended at approve-plan, one sleeping before it (its timer fires after the deploy).
    const suspended = await v1.createRun();
    expect((await suspended.start({ inputData: { plan: 'a' } })).status).toBe('suspended');
    const sleeping = await v1.createRun();
    await sleeping.startAsync({ inputData: { plan: 'b' } });
    await waitUntil(async () => (await before.getRun(sleeping.runId))?.status === 'waiting', { message: 'second run waiting' });
    await before.stop();

    // The new code renamed two steps. Sleeping run: its timer has not fired yet.
    const now: string[] = [];
    const v2 = deploy({ version: 2, plan: 'make-plan', approve: 'approve', sleepMs: 1500, calls: now });
    const store = db.open();
    const journalBefore = await store.loadJournal(suspended.runId);
    const after = engine(store, { v2 }, { worker: false });
    const report = await after.check();
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => [p.runId, p.verdict, p.path, p.reason]).sort()).toEqual(
      [
        [suspended.runId, 'diverges', 'plan', 'renamed'],
        [sleeping.runId, 'diverges', 'plan', 'renamed'],
      ].sort(),
    );
    expect(report.problems[0]!.message).toContain('"make-plan"');
    expect(report.workflows).toMatchObject([{ workflowId: 'deploy', registered: true, runs: 2, diverges: 2, continues: 0 }]);
    await after.stop();

    // Deployed anyway: the worker parks the sleeping run when its timer fires, without running a step.
    const liveStore = db.open();
    const live = engine(liveStore, { v2 });
    await live.start();
    const parked = await waitUntil(async () => {
      const r = await live.getRun(sleeping.runId);
      return r?.status === 'paused' ? r : null;
    }, { message: 'the diverged run to be parked', timeout: 20_000 });
    expect(parked.statusReason).toMatch(/^journal diverges from workflow "deploy" v2 at "plan" \(renamed\)/);
    expect(Object.values(parked.steps).map((s) => s.status)).not.toContain('running');
    // The resume of the suspended run is refused, and nothing is written.
    const handle = await v2.createRun({ runId: suspended.runId });
    await expect(handle.resume({ resumeData: { ok: true } })).rejects.toMatchObject({ code: 'RUN_DIVERGED' });
    expect(now).toEqual([]);
    const view = await live.getRun(suspended.runId);
    expect(view?.status).toBe('suspended');
    expect(Object.values(view!.steps).map((s) => s.status)).not.toContain('running');
    const kept = await liveStore.loadJournal(suspended.runId);
    expect(kept).toEqual(journalBefore);

    // The ways out: cancel (history kept), or time travel onto the new graph.
    await live.cancelRun(sleeping.runId);
    expect((await live.getRun(sleeping.runId))?.status).toBe('canceled');
    expect((await liveStore.loadJournal(sleeping.runId)).map((r) => r.path)).toContain('plan');
    const moved = await handle.timeTravel({ step: 'make-plan', inputData: { plan: 'a' }, resumeData: { ok: true } });
    expect(moved, JSON.stringify(moved)).toMatchObject({ status: 'suspended' });
    expect(now).toEqual(['v2:make-plan', 'v2:approve']);
    const history = await live.getRunHistory(suspended.runId);
    expect(history).toHaveLength(1);
    expect(Object.keys(history[0]!.steps)).toContain('approve-plan');
    expect((await handle.resume({ resumeData: { ok: true } })).status).toBe('success');
    expect(old.filter((c) => c === 'v1:plan')).toHaveLength(2);
  });

  it('two versions registered at once: each run continues on the version it started with, new runs on the newest', async () => {
    const db = make();
    const calls: string[] = [];
    const v1 = deploy({ version: 1, plan: 'plan', approve: 'approve-plan', sleepMs: 30, calls });
    const v2 = deploy({ version: 2, plan: 'make-plan', approve: 'approve', sleepMs: 30, calls });
    const store = db.open();
    const weft = engine(store, { deployV1: v1, deployV2: v2 });
    expect(weft.getWorkflow('deploy')).toBe(v2);
    const a = await v1.createRun();
    expect((await a.start({ inputData: { plan: 'a' } })).status).toBe('suspended');
    const b = await weft.getWorkflow('deploy').createRun();
    expect((await b.start({ inputData: { plan: 'b' } })).status).toBe('suspended');
    const report = await weft.check();
    expect(report).toMatchObject({ ok: true, runs: 2, continues: 2 });
    expect(report.workflows[0]!.versions.map((v) => v.version)).toEqual(['1', '2']);
    expect(Object.values(report.workflows[0]!.byFingerprint)).toEqual([1, 1]);
    // Resumed through the newest handle, the v1 run still goes on with v1's steps (through a timer: a worker claims it).
    const viaNew = await v2.createRun({ runId: a.runId });
    expect(await viaNew.resume({ resumeData: { ok: true } })).toMatchObject({ status: 'success', result: { plan: 'a+planned+done' } });
    expect((await b.resume({ resumeData: { ok: true } })).status).toBe('success');
    expect(calls).toEqual(['v1:plan', 'v1:approve-plan', 'v2:make-plan', 'v2:approve', 'v1:approve-plan', 'v1:execute', 'v2:approve', 'v2:execute']);
  });

  it('check reads no journal for runs on their own definition, and reports runs of workflows this code lacks', async () => {
    const db = make();
    const calls: string[] = [];
    const v1 = deploy({ version: 1, plan: 'plan', approve: 'approve-plan', calls });
    const other = createWorkflow({ id: 'other', inputSchema: z.any(), outputSchema: z.any() })
      .then(createStep({ id: 'wait', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ suspend }) => suspend({}) }))
      .commit();
    const first = engine(db.open(), { v1, other });
    for (let i = 0; i < 3; i++) await (await v1.createRun()).start({ inputData: { plan: `p${i}` } });
    const lone = await other.createRun();
    await lone.start({ inputData: {} });
    await first.stop();

    const store = db.open();
    const spy = vi.spyOn(store, 'loadJournals');
    const next = engine(store, { v1: deploy({ version: 1, plan: 'plan', approve: 'approve-plan', calls }) }, { worker: false });
    const report = await next.check({ pageSize: 2 });
    expect(report).toMatchObject({ ok: false, runs: 4, continues: 3, diverges: 0, unregistered: 1 });
    expect(report.problems).toEqual([{ runId: lone.runId, workflowId: 'other', status: 'suspended', fingerprint: expect.any(String), verdict: 'unregistered' }]);
    expect(spy).not.toHaveBeenCalled();
    expect((await next.check({ workflowIds: ['deploy'] })).ok).toBe(true);
    await expect(next.check({ pageSize: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // replayRuns (weft/testing) walks the same store: it fails on a breaking change, passes otherwise.
    const renamed = deploy({ version: 2, plan: 'make-plan', approve: 'approve-plan', calls });
    await expect(replayRuns({ store, workflows: [renamed, other] })).rejects.toMatchObject({ code: 'REPLAY_DIVERGED', problems: expect.arrayContaining([expect.objectContaining({ path: 'plan', reason: 'renamed' })]) });
    const same = deploy({ version: 3, plan: 'plan', approve: 'approve-plan', calls });
    expect(await replayRuns({ store, workflows: [same, other] })).toMatchObject({ ok: true, runs: 4, continues: 4 });
    expect(calls.filter((c) => c.startsWith('v2') || c.startsWith('v3'))).toEqual([]);
    await expect(next.check({ workflowIds: [] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
