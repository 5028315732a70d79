import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { cronRunId, manualCronRunId } from '../../src/domain/ids.js';
import { InvalidArgumentError, ShardRoutingError, ShardUnsupportedError } from '../../src/errors.js';
import { sqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { shardedStore } from '../../src/store/sharded/sharded-store.js';
import { hashKey, type ShardBy } from '../../src/store/sharded/routing.js';
import { storeContract } from './contract.js';
import { LEASE_MS, T0, WF, entry, newRun, runIn, setRunIdMaker, uid } from './contract-helpers.js';

/** Which of the two shards holds a run id (the router's rule). */
const hashShard = (runId: string): number => hashKey(runId) % 2;

const root = mkdtempSync(join(tmpdir(), 'weft-sharded-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function twoSqlite(by: ShardBy) {
  const dir = join(root, `set-${++n}`);
  const store = shardedStore([sqliteStore({ path: join(dir, 'a.db') }), sqliteStore({ path: join(dir, 'b.db') })], { by });
  return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

storeContract('sharded: 2 sqlite, by runId', async () => {
  setRunIdMaker(null);
  return twoSqlite('runId');
}, { spread: true, shards: { count: 2, of: hashShard } });

storeContract('sharded: 2 sqlite, by workflow', async () => {
  const made = twoSqlite('workflow');
  const router = made.store.router;
  // The ids a by-workflow router gives its engine: each routes to its workflow's shard.
  setRunIdMaker((workflowId) => {
    for (;;) {
      const id = uid();
      if (router.ofRun(id) === router.homeOf(workflowId)) return id;
    }
  });
  return made;
}, { shards: { count: 2, of: hashShard } });

describe('sharded store: routing and what it refuses', () => {
  // The contract above may have left its id maker set: these tests pick their own ids.
  beforeEach(() => setRunIdMaker(null));
  const open = async (by: ShardBy) => {
    const made = twoSqlite(by);
    await made.store.open();
    return made;
  };

  it('routes by a fixed hash of the run id (part of the data layout: it must never change)', () => {
    // FNV-1a 32-bit test vectors, over UTF-8 bytes.
    expect([hashKey(''), hashKey('a'), hashKey('foobar')]).toEqual([0x811c9dc5, 0xe40c292c, 0xbf9cf968]);
    const { store } = twoSqlite('runId');
    const spread = new Set(Array.from({ length: 64 }, (_, i) => store.router.ofRun(`r-${i}`)));
    expect(spread).toEqual(new Set([0, 1]));
  });

  it("mints ids on the workflow's shard ('workflow' and a function); 'runId' mints anywhere", () => {
    const byWf = twoSqlite('workflow').store;
    const home = byWf.router.homeOf('wf-a')!;
    for (let i = 0; i < 50; i++) expect(byWf.router.ofRun(byWf.newRunId('wf-a', T0))).toBe(home);
    const pinned = twoSqlite((wf) => (wf === 'hot' ? 1 : 0)).store;
    for (let i = 0; i < 50; i++) expect(pinned.router.ofRun(pinned.newRunId('hot', T0))).toBe(1);
    expect(twoSqlite('runId').store.router.homeOf('wf-a')).toBeNull();
    // Cron fires name their workflow: under a workflow placement they go to its shard ('runId': by hash).
    for (const wf of ['wf-a', 'wf-b', 'a:b:c']) {
      for (const at of [T0, T0 + 60_000, T0 + 7 * 3_600_000]) {
        expect(byWf.router.ofRun(cronRunId(wf, at))).toBe(byWf.router.homeOf(wf));
        expect(pinned.router.ofRun(manualCronRunId('hot', at))).toBe(1);
      }
    }
    const spreadIds = new Set(Array.from({ length: 32 }, (_, i) => twoSqlite('runId').store.router.ofRun(cronRunId('wf-a', T0 + i * 60_000))));
    expect(spreadIds).toEqual(new Set([0, 1]));
    const bad = twoSqlite(() => 2).store;
    expect(() => bad.newRunId('wf-a', T0)).toThrow(InvalidArgumentError);
  });

  it('claimFrom: a worker takes runs (and timers) from its own shards only; reads still reach every shard', async () => {
    const dir = join(root, `claim-from-${++n}`);
    const files = [join(dir, 'a.db'), join(dir, 'b.db')];
    const router = shardedStore(files.map((path) => sqliteStore({ path })));
    const workers = [0, 1].map((i) => shardedStore(files.map((path) => sqliteStore({ path })), { claimFrom: [i] }));
    await Promise.all([router, ...workers].map((s) => s.open()));
    try {
      const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => runIn(router, 'pending', { now: T0 + i })));
      const waiting = await runIn(router, 'waiting', { wakeAt: T0 + 50 });
      const claim = { leaseMs: LEASE_MS, now: T0 + 10, limit: 50, workflowIds: [WF] };
      for (const [i, w] of workers.entries()) {
        const got = await w.claimRuns({ ...claim, owner: `w${i}` });
        expect(got.length).toBeGreaterThan(0);
        expect(got.every((c) => router.router.ofRun(c.run.runId) === i)).toBe(true);
        expect(await w.loadRun(runs[0]!.runId)).not.toBeNull();
        expect(await w.nextWakeAt([WF])).toBe(router.router.ofRun(waiting.runId) === i ? T0 + 50 : null);
      }
      expect((await router.listRuns({ status: 'running' })).total).toBe(20);
      expect(() => shardedStore(files.map((path) => sqliteStore({ path })), { claimFrom: [2] })).toThrow(InvalidArgumentError);
      expect(() => shardedStore(files.map((path) => sqliteStore({ path })), { claimFrom: [] })).toThrow(InvalidArgumentError);
    } finally {
      await Promise.all([router, ...workers].map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a shard that fails as a whole fails only its own items; the other shard commits; empty batches are no-ops', async () => {
    const { store, cleanup } = await open('runId');
    try {
      expect(await store.createRunsSettled([])).toEqual([]);
      expect(await store.writeSettled([])).toEqual({ fenced: [] });
      const running = await Promise.all(Array.from({ length: 8 }, (_, i) => runIn(store, 'running', { runId: `whole-${i}` })));
      await store.shards[1]!.close();
      const fresh = Array.from({ length: 8 }, (_, i) => newRun({ runId: `fresh-${i}` }));
      expect(new Set(fresh.map((r) => store.router.ofRun(r.runId)))).toEqual(new Set([0, 1]));
      const created = await store.createRunsSettled(fresh);
      fresh.forEach((r, i) => {
        if (store.router.ofRun(r.runId) === 0) expect(created[i]).toMatchObject({ created: true });
        else expect(created[i]!.error).toMatchObject({ code: 'STORE_CLOSED' });
      });
      const out = await store.writeSettled(running.map((r) => ({ type: 'journal' as const, epoch: r.leaseEpoch, entry: entry(r.runId, 'one') })));
      const onOne = running.filter((r) => store.router.ofRun(r.runId) === 1).map((r) => r.runId);
      expect(onOne.length).toBeGreaterThan(0);
      expect(out.fenced).toEqual([]);
      expect(out.failed!.map((f) => f.runId).sort()).toEqual([...onOne].sort());
      for (const r of running.filter((x) => store.router.ofRun(x.runId) === 0)) expect((await store.loadJournal(r.runId)).map((e) => e.path)).toEqual(['one']);
      await store.shards[0]!.close();
      await expect(store.createRunsSettled([newRun()])).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it('createRuns and write across shards: one item the store refuses means nothing is written on any shard', async () => {
    const { store, cleanup } = await open('runId');
    try {
      const good = Array.from({ length: 8 }, (_, i) => newRun({ runId: `fresh-${i}` }));
      const bad = newRun({ runId: 'bad\u0000id' });
      for (const at of [0, 8]) {
        const batch = [...good];
        batch.splice(at, 0, bad);
        expect(new Set(batch.map((r) => store.router.ofRun(r.runId))).size).toBe(2);
        await expect(store.createRuns(batch)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        expect((await store.listRuns({})).total).toBe(0);
      }
      const running = await Promise.all(Array.from({ length: 8 }, (_, i) => runIn(store, 'running', { runId: `whole-${i}` })));
      const ops = running.map((r) => ({ type: 'journal' as const, epoch: r.leaseEpoch, entry: entry(r.runId, 'one') }));
      ops.push({ type: 'journal' as const, epoch: running[0]!.leaseEpoch, entry: entry(running[0]!.runId, 'bad\u0000path') });
      await expect(store.write(ops)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      for (const r of running) expect(await store.loadJournal(r.runId)).toEqual([]);
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it('refuses bad configurations', () => {
    expect(() => shardedStore([])).toThrow(InvalidArgumentError);
    const one = sqliteStore({ path: join(root, 'x.db') });
    expect(() => shardedStore([one, one])).toThrow(/twice/);
    expect(() => shardedStore([one], { by: 'nope' as ShardBy })).toThrow(InvalidArgumentError);
  });

  it("by 'runId': flow control and concurrency limits are refused (SHARD_UNSUPPORTED), plain starts are not", async () => {
    const { store, cleanup } = await open('runId');
    try {
      const run = newRun();
      await expect(store.admitRun({ run, singleton: { key: 'k', mode: 'skip' } })).rejects.toBeInstanceOf(ShardUnsupportedError);
      await expect(store.admitRun({ run, idempotency: { key: 'k', ttlMs: 1_000 } })).rejects.toMatchObject({ code: 'SHARD_UNSUPPORTED' });
      expect((await store.admitRun({ run })).kind).toBe('created');
      const claim = { owner: 'w', leaseMs: LEASE_MS, now: T0, limit: 5, workflowIds: [WF] };
      await expect(store.claimRuns({ ...claim, limits: { [WF]: 1 } })).rejects.toBeInstanceOf(ShardUnsupportedError);
      await expect(store.claimRuns({ ...claim, throttles: { [WF]: { limit: 1, periodMs: 10 } } })).rejects.toBeInstanceOf(ShardUnsupportedError);
      expect((await store.claimRuns(claim)).map((c) => c.run.runId)).toEqual([run.runId]);
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it("a child run lives on its parent's shard: colocatedRunId is deterministic; a child placed elsewhere is refused", async () => {
    const { store, cleanup } = await open('runId');
    try {
      const parent = newRun({ runId: 'parent-1' });
      await store.createRun(parent);
      const home = store.router.ofRun('parent-1');
      const ids = Array.from({ length: 16 }, (_, i) => store.colocatedRunId('parent-1', `child-${i}`));
      expect(ids.every((id) => store.router.ofRun(id) === home)).toBe(true);
      expect(Array.from({ length: 16 }, (_, i) => store.colocatedRunId('parent-1', `child-${i}`))).toEqual(ids);
      // Some candidates already route home and are kept as they are.
      expect(ids.some((id, i) => id === `child-${i}`)).toBe(true);
      const away = Array.from({ length: 16 }, (_, i) => `stray-${i}`).find((id) => store.router.ofRun(id) !== home)!;
      const stray = newRun({ runId: away, parent: { runId: 'parent-1', path: 'spawn@child0' } });
      await expect(store.createRun(stray)).rejects.toMatchObject({ code: 'SHARD_UNSUPPORTED' });
      await expect(store.createRuns([stray])).rejects.toMatchObject({ code: 'SHARD_UNSUPPORTED' });
      expect(await store.loadRun(away)).toBeNull();
      const placed = newRun({ runId: ids[0]!, parent: { runId: 'parent-1', path: 'spawn@child0' } });
      expect((await store.createRun(placed)).created).toBe(true);
      expect((await store.loadLinks('parent-1')).children.map((c) => c.runId)).toEqual([ids[0]]);
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it("by 'workflow': a flow-controlled start whose id routes off its workflow's shard is refused (SHARD_ROUTING)", async () => {
    const { store, cleanup } = await open('workflow');
    try {
      const home = store.router.homeOf(WF)!;
      let off = '';
      for (let i = 0; !off; i++) if (store.router.ofRun(`off-${i}`) !== home) off = `off-${i}`;
      await expect(store.admitRun({ run: newRun({ runId: off }), singleton: { key: 'k', mode: 'skip' } })).rejects.toBeInstanceOf(ShardRoutingError);
      const ok = await store.admitRun({ run: newRun({ runId: store.newRunId(WF, T0) }), singleton: { key: 'k', mode: 'skip' } });
      expect(ok.kind).toBe('created');
      expect((await store.admitRun({ run: newRun({ runId: store.newRunId(WF, T0) }), singleton: { key: 'k', mode: 'skip' } })).kind).toBe('skipped');
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it('listings merge both shards in one order: pages, deep pages past one shard query, cursors and totals', async () => {
    const { store, cleanup } = await open('runId');
    try {
      // 2,600 runs, many sharing a creation time (ties break on the id, byte-wise).
      const runs = Array.from({ length: 2_600 }, (_, i) => newRun({ runId: `l-${String(i).padStart(5, '0')}`, now: T0 + Math.floor(i / 7), resourceId: i % 2 ? 'odd' : 'even' }));
      for (let i = 0; i < runs.length; i += 500) await store.createRuns(runs.slice(i, i + 500));
      const expected = [...runs].sort((a, b) => b.now - a.now || (a.runId < b.runId ? 1 : -1)).map((r) => r.runId);
      const shardTotals = await Promise.all(store.shards.map(async (s) => (await s.listRuns({})).total));
      expect(shardTotals.every((n) => n > 1_000)).toBe(true);
      const page = await store.listRuns({ perPage: 1_000, page: 2 });
      expect(page.total).toBe(2_600);
      expect(page.runs.map((r) => r.runId)).toEqual(expected.slice(2_000, 2_600));
      const byCursor: string[] = [];
      let before: { createdAt: number; runId: string } | undefined;
      for (;;) {
        const p = await store.listRuns({ perPage: 333, ...(before ? { before } : {}) });
        expect(p.total).toBe(2_600);
        byCursor.push(...p.runs.map((r) => r.runId));
        if (p.runs.length < 333) break;
        const last = p.runs[p.runs.length - 1]!;
        before = { createdAt: last.createdAt, runId: last.runId };
      }
      expect(byCursor).toEqual(expected);
      const odd = await store.listRuns({ resourceId: 'odd', perPage: 10, page: 3 });
      expect(odd.total).toBe(1_300);
      expect(odd.runs.map((r) => r.runId)).toEqual(expected.filter((id) => Number(id.slice(2)) % 2).slice(30, 40));
      // scanRuns: id order across shards, a page at a time.
      const scanned: string[] = [];
      for (let after: string | null = null; ; ) {
        const heads = await store.scanRuns({ statuses: ['pending'], after, limit: 400 });
        scanned.push(...heads.map((h) => h.runId));
        if (heads.length < 400) break;
        after = heads[heads.length - 1]!.runId;
      }
      expect(scanned).toEqual([...expected].sort());
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it("a run's reruns are listed wherever they live; journals of runs on both shards load in one call", async () => {
    const { store, cleanup } = await open('runId');
    try {
      const source = (await store.createRun(newRun())).run;
      const reruns = [];
      for (let i = 0; i < 8; i++) reruns.push((await store.createRun(newRun({ now: T0 + i, rerunOf: { runId: source.runId, step: 's' } }))).run);
      expect(new Set(reruns.map((r) => store.router.ofRun(r.runId))).size).toBe(2);
      const links = await store.loadLinks(source.runId);
      expect(links.rerunOf).toBeNull();
      expect(links.reruns.map((l) => l.runId)).toEqual([...reruns].reverse().map((r) => r.runId));
      expect((await store.loadLinks(reruns[0]!.runId)).rerunOf).toMatchObject({ runId: source.runId, step: 's' });
      const running = await Promise.all([0, 1, 2, 3].map(() => runIn(store, 'running')));
      await store.write(running.map((r) => ({ type: 'journal' as const, epoch: r.leaseEpoch, entry: entry(r.runId, 'one') })));
      const ids = running.map((r) => r.runId).reverse();
      expect((await store.loadJournals(ids)).map((e) => e.runId)).toEqual(ids);
    } finally {
      await store.close();
      await cleanup();
    }
  });
});
