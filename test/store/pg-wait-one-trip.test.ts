import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveredMeta, encodeMeta } from '../../src/domain/journal-meta.js';
import { eventSql, registerWait, sendEventOneTrip } from '../../src/store/postgres/events.js';
import { postgresStore } from '../../src/store/postgres/postgres-store.js';
import type { JournalEntry, NewEvent, RunRecord, Store, WaitRequest } from '../../src/store/types.js';
import { LEASE_MS, T0, entry, runIn } from './contract-helpers.js';
import { PG_URL, backendPid, blockedBy, schemaFactory, waitUntil } from './pg-helpers.js';

/**
 * Store.registerWait on PostgreSQL is one statement, the server-side function weft_register_wait
 * (migration 0019). What it must keep from the statement-by-statement path it replaced: the advisory
 * locks that keep a send and a registration from missing each other (held across two connections
 * here), fencing that writes nothing, the earliest early event, and the delivered row's meta exactly
 * as deliveredMeta writes it.
 */
const schemas = schemaFactory('wot');
const admin = new pg.Pool({ connectionString: PG_URL, max: 4 });
const schema = schemas.next();
let s: Store;
let other: Store;
let n = 0;
beforeAll(async () => {
  s = postgresStore({ connectionString: PG_URL, schema });
  other = postgresStore({ connectionString: PG_URL, schema });
  await s.open();
  await other.open();
});
afterAll(async () => {
  await s?.close();
  await other?.close();
  await schemas.dropAll(admin);
  await admin.end();
});

const waitMeta = (names: string[], key: string | null) => encodeMeta({ wait: { events: names, key, deadline: null, onTimeout: 'continue' } });
const waitRow = (runId: string, path: string, names: string[], key: string | null, meta: string | null = waitMeta(names, key)): JournalEntry =>
  entry(runId, path, { status: 'waiting', output: null, endedAt: null, meta });
const ev = (over: Partial<NewEvent> = {}): NewEvent => ({ id: `e-${++n}`, name: 'paid', key: null, runId: null, data: '{"amount":1}', now: T0 + 10, ...over });
const waitReq = (run: RunRecord, names: string[], key: string | null, over: Partial<WaitRequest> = {}): WaitRequest => ({
  runId: run.runId, epoch: run.leaseEpoch, entry: waitRow(run.runId, 'w', names, key), names, key, since: T0, now: T0 + 50, ...over,
});
/** An event name no other test uses (a wait without a key would take any earlier event of its name). */
const fresh = (name: string) => `${name}-${++n}`;
const running = () => runIn(s, 'running', { owner: 'w1', leaseExpiresAt: T0 + 10 * LEASE_MS });
const q = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await admin.query<R>(text, values)).rows;
const deliveries = (runId: string) =>
  q<{ event_id: string; path: string }>(`SELECT event_id, path FROM "${schema}".event_deliveries WHERE run_id = $1 ORDER BY event_id`, [runId]);
const waits = (runId: string) =>
  q<{ path: string; name: string; match_key: string | null }>(`SELECT path, name, match_key FROM "${schema}".event_waits WHERE run_id = $1 ORDER BY name`, [runId]);
const rowOf = async (runId: string) => (await s.loadJournal(runId)).find((r) => r.path === 'w');

/** Runs `fn` on one connection inside a transaction kept open until `commit()`; `pid` to watch who waits on it. */
async function holding<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<{ value: T; pid: number; commit: () => Promise<void> }> {
  const c = await admin.connect();
  await c.query('BEGIN');
  const value = await fn(c);
  return {
    value,
    pid: await backendPid(c),
    commit: async () => {
      await c.query('COMMIT');
      c.release();
    },
  };
}

describe('PostgreSQL: a wait registration in one round trip', () => {
  it('is one statement (named, prepared once per connection), with an early event, without one, and fenced', async () => {
    const run = await running();
    const late = await running();
    await s.sendEvent!({ event: ev({ key: 'one-trip' }) });
    const sent: { name?: string; text: string }[] = [];
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
      sent.push(typeof config === 'string' ? { text: config } : (config as { name?: string; text: string }));
      return (original as (...a: unknown[]) => unknown).call(this, config, ...rest);
    } as typeof original;
    try {
      const took = await s.registerWait!(waitReq(run, ['paid'], 'one-trip'));
      const none = await s.registerWait!(waitReq(late, ['paid'], 'nothing-yet'));
      const fenced = await s.registerWait!(waitReq(late, ['paid'], 'nothing-yet', { epoch: late.leaseEpoch + 1 }));
      expect(took).toMatchObject({ fenced: false, event: { name: 'paid', key: 'one-trip' } });
      expect(none).toEqual({ fenced: false, event: null });
      expect(fenced).toEqual({ fenced: true });
    } finally {
      pg.Client.prototype.query = original;
    }
    expect(sent.map((x) => x.name)).toEqual(Array(3).fill(`weft_${schema}_register_wait`));
  });

  it("records the delivered row's meta byte for byte as deliveredMeta writes it", async () => {
    const wait = JSON.parse(waitMeta(['paid'], null)!) as unknown;
    const metas: (string | null)[] = [
      null,
      '{}',
      waitMeta(['paid'], null),
      // Keys deliveredMeta overwrites in place, integer-like keys (which JSON objects put first), a
      // duplicate key and spaces (the text is rewritten, not kept), and text that is not an object.
      JSON.stringify({ event: { id: 'old' }, wait, resumedAt: 1, attempts: [] }),
      JSON.stringify({ wait, resumedAt: 5, suspendedAt: 3 }),
      '{"b":1,"10":"ten","2":"two","a":{"x":[1,2]}}',
      '{ "wait" : {"events":["paid"]}, "z": 1, "z": "last" }',
      '[1,2]',
      JSON.stringify({ note: 'é "q" \\ \u2028 \u0001 😀', statePatch: { n: -0.5e-7 } }),
    ];
    const events: Partial<NewEvent>[] = [
      { data: JSON.stringify({ text: 'a "quoted" \\ back\u2028slash é \u0001\u001f\u007f 😀 </script>', n: [1.5, -2e-7, 1e21, null], deep: { x: true, '1': 0 } }) },
      { data: null },
      { data: 'null' },
      { data: '"just a string"', key: 'k "with" \\ quotes é\u0002' },
      { data: '[]', id: 'id-é-"q"-\u0003' },
      { data: '{"to":"this run"}', runId: 'self' },
    ];
    const nows = [T0 + 50, T0 + 50.25];
    let checked = 0;
    for (const meta of metas) {
      for (const e of events) {
        for (const now of nows) {
          const run = await running();
          const key = e.key ?? null;
          const name = fresh('meta');
          const sent = ev({ ...e, ...(e.id ? { id: `${e.id}${name}` } : {}), name, runId: e.runId === 'self' ? run.runId : null, key: e.runId === 'self' ? null : key });
          await s.sendEvent!({ event: sent });
          const req = { ...waitReq(run, [name], key, { now }), entry: waitRow(run.runId, 'w', [name], key, meta) };
          const res = await s.registerWait!(req);
          expect(res).toEqual({ fenced: false, event: { id: sent.id, name, key: sent.key, runId: sent.runId, data: sent.data, createdAt: sent.now } });
          const row = await rowOf(run.runId);
          expect(row?.status).toBe('resumed');
          expect(row?.meta).toBe(deliveredMeta(meta, { id: sent.id, name: sent.name, key: sent.key, data: sent.data }, now));
          checked++;
        }
      }
    }
    expect(checked).toBe(metas.length * events.length * nows.length);
  });

  it('takes the earliest event not yet delivered across its names, sent to the run or matching its key: createdAt, then seq', async () => {
    const run = await running();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(fresh) as [string, string, string, string];
    const sendAt = async (name: string, at: number, over: Partial<NewEvent> = {}) => {
      const e = ev({ name, now: at, ...over });
      await s.sendEvent!({ event: e });
      return e.id;
    };
    await sendAt(a, T0 - 1, { key: 'k' }); // before the window
    await sendAt(b, T0 + 3, { key: 'other' }); // another key
    const fromRunB = await sendAt(b, T0 + 5, { runId: run.runId });
    const keyedA = await sendAt(a, T0 + 5, { key: 'k' }); // same time, sent later: larger seq
    const anyC = await sendAt(c, T0 + 4); // no key: a keyed wait does not take it
    await sendAt(d, T0 + 1, { key: 'k' }); // a name the wait does not have
    const names = [c, a, b];
    const take = async (path: string, key: string | null) =>
      (await s.registerWait!({ ...waitReq(run, names, key), entry: waitRow(run.runId, path, names, key) })) as { event: { id: string } | null };
    expect((await take('w1', 'k')).event?.id).toBe(fromRunB);
    expect((await take('w2', 'k')).event?.id).toBe(keyedA);
    expect((await take('w3', 'k')).event).toBeNull();
    // A wait without a key takes events of any key (the earliest left: b/other at T0+3, then c at T0+4).
    await take('w4', null);
    expect((await take('w5', null)).event?.id).toBe(anyC);
    // An event sent to the run is consumed by its taking; the others are not.
    const consumed = await q<{ id: string }>(`SELECT id FROM "${schema}".events WHERE consumed_at IS NOT NULL AND id = ANY($1)`, [[fromRunB, keyedA, anyC]]);
    expect(consumed.map((r) => r.id)).toEqual([fromRunB]);
    expect((await deliveries(run.runId)).map((d) => d.path).sort()).toEqual(['w1', 'w2', 'w4', 'w5']);
    // Without an event: the row as given and one registration per name.
    expect((await s.loadJournal(run.runId)).find((r) => r.path === 'w3')).toMatchObject({ status: 'waiting', meta: waitMeta(names, 'k') });
    expect((await waits(run.runId)).map((w) => [w.path, w.name, w.match_key])).toEqual([['w3', a, 'k'], ['w3', b, 'k'], ['w3', c, 'k']]);
  });

  it('fenced (another epoch, or no such run): nothing is written, not even the early event taken', async () => {
    const run = await running();
    const [first, later] = [fresh('first'), fresh('later')];
    await s.registerWait!(waitReq(run, [first], null));
    const before = await rowOf(run.runId);
    const early = ev({ name: later });
    await s.sendEvent!({ event: early });
    const stale = { ...waitReq(run, [later], null, { epoch: run.leaseEpoch - 1 }), entry: { ...waitRow(run.runId, 'w', [later], null), attempt: 2 } };
    expect(await s.registerWait!(stale)).toEqual({ fenced: true });
    expect(await s.registerWait!({ ...stale, epoch: run.leaseEpoch + 1 })).toEqual({ fenced: true });
    expect(await s.registerWait!({ ...stale, runId: 'no-such-run', epoch: run.leaseEpoch })).toEqual({ fenced: true });
    expect(await rowOf(run.runId)).toEqual(before);
    expect(await waits(run.runId)).toEqual([{ path: 'w', name: first, match_key: null }]);
    expect(await deliveries(run.runId)).toEqual([]);
    expect(await deliveries('no-such-run')).toEqual([]);
    // Under the lease the same registration takes the event.
    expect(await s.registerWait!({ ...stale, epoch: run.leaseEpoch })).toMatchObject({ fenced: false, event: { id: early.id } });
  });

  describe.each([
    ['a keyed wait, a send with its key', ['paid'], 'k', { key: 'k' }],
    ['a wait for any key, a keyed send', ['paid'], null, { key: 'k' }],
    ['a wait for any key, a send without a key', ['paid'], null, {}],
    ['a wait for three names, a send of the last', ['x', 'paid', 'a'], 'k', { key: 'k' }],
    ['a wait, an event sent to its run', ['paid'], 'k', { runId: 'self' }],
  ] as const)('%s, from two connections', (_label, names, key, sendOver) => {
    // Names and keys of this test alone.
    const setUp = async () => {
      const run = await running();
      const tag = `-${++n}`;
      const e = ev({ name: `paid${tag}`, runId: 'runId' in sendOver ? run.runId : null, key: 'key' in sendOver ? `${sendOver.key}${tag}` : null });
      return { run, e, req: waitReq(run, names.map((x) => `${x}${tag}`), key === null ? null : `${key}${tag}`) };
    };
    const sql = eventSql(schema);

    it('a registration waits for a send holding its locks, then takes the event', async () => {
      const { run, e, req } = await setUp();
      const send = await holding((c) => sendEventOneTrip(c, sql, schema, { event: e }));
      expect(send.value.delivered).toEqual([]);
      const registering = s.registerWait!(req);
      await waitUntil(async () => (await blockedBy(admin, send.pid)) > 0, 'the registration to wait for the send');
      await send.commit();
      expect(await registering).toMatchObject({ fenced: false, event: { id: e.id } });
      expect(await deliveries(run.runId)).toEqual([{ event_id: e.id, path: 'w' }]);
    });

    it('a send waits for a registration holding its locks, then delivers to it', async () => {
      const { run, e, req } = await setUp();
      const reg = await holding((c) => registerWait(c, sql, schema, req));
      expect(reg.value).toEqual({ fenced: false, event: null });
      const sending = other.sendEvent!({ event: e });
      await waitUntil(async () => (await blockedBy(admin, reg.pid)) > 0, 'the send to wait for the registration');
      await reg.commit();
      expect((await sending).delivered).toEqual([{ runId: run.runId, workflowId: run.workflowId }]);
      expect((await rowOf(run.runId))?.status).toBe('resumed');
      expect(await deliveries(run.runId)).toEqual([{ event_id: e.id, path: 'w' }]);
    });
  });

  it('two sends that reach one wait at once (one sent to the run, one with its key): the first delivers, the second finds the row resumed', async () => {
    const run = await running();
    const name = fresh('twice');
    await s.registerWait!(waitReq(run, [name], 'k'));
    const first = ev({ name, runId: run.runId });
    const second = ev({ name, key: 'k' });
    const held = await holding((c) => sendEventOneTrip(c, eventSql(schema), schema, { event: first }));
    expect(held.value.delivered).toEqual([{ runId: run.runId, workflowId: run.workflowId }]);
    const sending = other.sendEvent!({ event: second });
    await waitUntil(async () => (await blockedBy(admin, held.pid)) > 0, 'the second send to wait for the run row');
    await held.commit();
    expect((await sending).delivered).toEqual([]);
    expect(await deliveries(run.runId)).toEqual([{ event_id: first.id, path: 'w' }]);
    expect((JSON.parse((await rowOf(run.runId))!.meta!) as { event: { id: string } }).event.id).toBe(first.id);
  });

  it('sends and registrations interleaved from two stores: every wait gets exactly one event, never none, never two', async () => {
    const [race, x] = [fresh('race'), fresh('x')];
    const runs = await Promise.all(Array.from({ length: 48 }, () => running()));
    const shapes = runs.map((run, i) => {
      const names = i % 3 === 0 ? [x, race] : i % 3 === 1 ? [race, x] : [race];
      // Some waits take any key: they may also take the events sent for the others.
      const key = i % 4 === 3 ? null : `k-${run.runId}`;
      // Two events for each wait (the second sent to the run, or with its key): it takes one of them.
      const events = [ev({ name: race, key: `k-${run.runId}` }), i % 2 === 0 ? ev({ runId: run.runId, name: names[0]! }) : ev({ name: names[0]!, key: `k-${run.runId}` })];
      return { run, names, key, events };
    });
    const results = await Promise.all(
      shapes.map(({ run, names, key, events }, i) =>
        Promise.all([
          (i % 2 === 0 ? s : other).registerWait!(waitReq(run, names, key, { now: T0 + 20 })),
          ...events.map((e, j) => ((i + j) % 2 === 0 ? other : s).sendEvent!({ event: e })),
        ]).then(([w, ...sent]) => ({ run, w, sent })),
      ),
    );
    const bySends = new Map<string, number>();
    for (const { sent } of results) for (const r of sent) for (const d of r.delivered) bySends.set(d.runId, (bySends.get(d.runId) ?? 0) + 1);
    let byWait = 0;
    for (const { run, w } of results) {
      const took = !w.fenced && w.event !== null;
      byWait += Number(took);
      expect(Number(took) + (bySends.get(run.runId) ?? 0)).toBe(1);
      const got = await deliveries(run.runId);
      expect(got).toHaveLength(1);
      const row = await rowOf(run.runId);
      expect(row?.status).toBe('resumed');
      expect((JSON.parse(row!.meta!) as { event: { id: string } }).event.id).toBe(got[0]!.event_id);
      expect(await waits(run.runId)).toEqual([]);
    }
    // Both ways happened (otherwise this ran as two sequences, not interleaved).
    expect(byWait).toBeGreaterThan(0);
    expect(byWait).toBeLessThan(runs.length);
  });
});
