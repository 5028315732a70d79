// Event matching at scale on SQLite, at the store: N runs parked on a wait for `paid` with distinct keys
// through Store.registerWait (the same call the engine makes), then `sends` Store.sendEvent calls, each
// to a random waiting key (stored, matched through the event_waits index, delivered: one transaction).
//   node bench/events-match-sqlite.mjs [N=100000] [sends=200]
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteStore } from '../dist/index.js';

const N = Number(process.argv[2] ?? 100_000);
const SENDS = Number(process.argv[3] ?? 200);
const path = join(process.env.BENCH_TMP ?? tmpdir(), `weft-events-match-${process.pid}.db`);
const store = sqliteStore({ path });
try {
  await store.open();
  const T = Date.now();
  for (let i = 0; i < N; i++) {
    const { run } = await store.createRun({ runId: `r${i}`, workflowId: 'waiter', status: 'running', resourceId: null, input: null, state: null, requestContext: null, tracing: null, priority: 0, concurrencyKey: null, owner: 'bench', leaseExpiresAt: T + 3_600_000, now: T });
    const entry = { runId: run.runId, path: 'waitForEvent_take', kind: 'step', status: 'waiting', attempt: 1, input: null, output: null, error: null, meta: `{"wait":{"events":["paid"],"key":"k${i}","deadline":null,"onTimeout":"continue"}}`, startedAt: T, endedAt: null };
    await store.registerWait({ runId: run.runId, epoch: run.leaseEpoch, entry, names: ['paid'], key: `k${i}`, since: T - 1000, now: T });
  }
  const seedMs = Date.now() - T;
  const lat = [];
  const used = new Set();
  for (let j = 0; j < SENDS; j++) {
    let k;
    do k = Math.floor(Math.random() * N);
    while (used.has(k));
    used.add(k);
    const t = performance.now();
    const r = await store.sendEvent({ event: { id: `e${j}`, name: 'paid', key: `k${k}`, runId: null, data: '{"ok":true}', now: Date.now() } });
    lat.push(performance.now() - t);
    if (r.delivered.length !== 1 || r.delivered[0].runId !== `r${k}`) throw new Error(`event for k${k} delivered to ${JSON.stringify(r.delivered)}`);
  }
  lat.sort((a, b) => a - b);
  const pct = (p) => lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)];
  console.log(JSON.stringify({ waiting: N, seedMs, sends: SENDS, sendP50Ms: +pct(50).toFixed(3), sendP99Ms: +pct(99).toFixed(3), sendMaxMs: +lat.at(-1).toFixed(3) }));
} finally {
  await store.close();
  for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
}
