import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresStore, sqliteStore, Weft, type Store } from '../../dist/index.js';
import { decodeMeta } from '../../src/domain/journal-meta.js';
import { waitUntil } from '../support/wait.js';
// @ts-expect-error plain ESM module shared with the worker processes
import { eventWorkflows } from './events-workflows.mjs';
import { PG_URL, pgSchema, spawnWorker, stopProc, tempDir, type Proc } from './harness.js';

/**
 * Events across processes: runs wait in worker processes, events are sent from another process (early,
 * on time, and while a worker is SIGKILLed), and every run gets its own event exactly once.
 */
const CHILD = fileURLToPath(new URL('./events-child.mjs', import.meta.url));
const N = 24;
const procs: Proc[] = [];
afterAll(async () => {
  await Promise.all(procs.splice(0).map((p) => stopProc(p, 3000)));
});

function worker(env: Record<string, string>): Proc {
  const p = spawnWorker(env, CHILD);
  procs.push(p);
  return p;
}

const backends: Record<string, () => { env: Record<string, string>; store: () => Store; cleanup: () => Promise<void> }> = {
  sqlite: () => {
    const t = tempDir('events');
    const path = join(t.dir, 'weft.db');
    return { env: { DB_PATH: path }, store: () => sqliteStore({ path }), cleanup: async () => t.remove() };
  },
  postgres: () => {
    const s = pgSchema('events');
    return { env: { PG_URL, PG_SCHEMA: s.schema }, store: () => postgresStore({ connectionString: PG_URL, schema: s.schema }), cleanup: s.drop };
  },
};

describe.each(Object.keys(backends))('events across processes on %s', (kind) => {
  it('delivers each event once to its run, with early events and a worker SIGKILLed while runs wait', { timeout: 90_000 }, async () => {
    const b = backends[kind]!();
    const store = b.store();
    // This process only sends events and starts runs: it executes nothing.
    const client = new Weft({ workflows: eventWorkflows(), store, worker: false, onError: () => {} });
    try {
      await client.start();
      const keys = Array.from({ length: N }, (_, i) => `order-${i}`);
      const eventId = (k: string) => `pay-${k}`;
      const send = (k: string) => client.sendEvent('payment', { key: k, id: eventId(k), data: { amount: Number(k.slice(6)) } });

      // A third of the events arrive before any run exists.
      for (const k of keys.slice(0, N / 3)) expect((await send(k)).delivered).toEqual([]);
      const w1 = worker(b.env);
      const w2 = worker(b.env);
      await Promise.all([w1.ready, w2.ready]);
      const pay = client.getWorkflow('pay');
      for (const k of keys) await (await pay.createRun({ runId: k })).startAsync({ inputData: { orderId: k } });

      // The others wait, held by no process; then one worker is killed outright.
      const waiting = keys.slice(N / 3);
      await waitUntil(async () => {
        for (const k of waiting) if ((await store.loadRun(k))?.status !== 'waiting') return false;
        return true;
      }, { timeout: 30_000, message: 'the runs without an early event to wait' });
      w1.child.kill('SIGKILL');
      await w1.exited;
      // Events sent while a worker is dead, half of them twice (same id).
      for (const k of waiting.slice(0, waiting.length / 2)) await send(k);
      for (const k of waiting.slice(0, waiting.length / 4)) expect((await send(k)).created).toBe(false);
      const w3 = worker(b.env);
      await w3.ready;
      for (const k of waiting.slice(waiting.length / 2)) await send(k);

      await waitUntil(async () => {
        for (const k of keys) if ((await store.loadRun(k))?.status !== 'success') return false;
        return true;
      }, { timeout: 60_000, message: 'every run to succeed' });
      for (const k of keys) {
        const run = await store.loadRun(k);
        expect(JSON.parse(run!.result!)).toEqual({ orderId: k, amount: Number(k.slice(6)), eventId: eventId(k) });
        const waits = (await store.loadJournal(k)).filter((e) => decodeMeta(e.meta).wait);
        expect(waits).toHaveLength(1);
        expect(decodeMeta(waits[0]!.meta).event?.id).toBe(eventId(k));
      }
      // Resending every event now changes nothing: each was stored once and delivered once.
      for (const k of keys) expect(await send(k)).toMatchObject({ created: false, delivered: [] });
    } finally {
      await Promise.all(procs.splice(0).map((p) => stopProc(p, 3000)));
      await client.stop();
      await b.cleanup();
    }
  });
});
