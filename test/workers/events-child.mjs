// A worker process for test/workers/events.test.ts: executes runs of the `pay` workflow (a wait for a
// payment event by order id, then a step that records what it got) until SIGTERM or SIGKILL.
// Env: PG_URL, PG_SCHEMA (or DB_PATH for SQLite), POLL_MS, LEASE_MS.
import { Weft, postgresStore, sqliteStore } from '../../dist/index.js';
import { eventWorkflows } from './events-workflows.mjs';

const env = process.env;
const store = env.DB_PATH ? sqliteStore({ path: env.DB_PATH }) : postgresStore({ connectionString: env.PG_URL, schema: env.PG_SCHEMA });
const weft = new Weft({
  workflows: eventWorkflows(),
  store,
  worker: { concurrency: 10, leaseMs: Number(env.LEASE_MS ?? 1500), pollMs: Number(env.POLL_MS ?? 50) },
  onError: (e) => {
    if (e?.code === 'STORE_CLOSED') return;
    process.stderr.write(`[events worker ${process.pid}] ${e?.stack ?? e}\n`);
  },
});
await weft.start();
process.on('SIGTERM', () => {
  void weft.stop({ timeoutMs: 2000 }).then(() => process.exit(0));
});
process.stdout.write('ready\n');
