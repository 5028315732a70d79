// A worker process for test/workers: executes runs of one workflow set until SIGTERM, then stops
// gracefully (weft.stop()) and exits. Env: SET, PG_URL, PG_SCHEMA (or DB_PATH for SQLite), LEDGER_DIR,
// LEASE_MS, POLL_MS, CONCURRENCY, WORKER (0: a pure client that only runs the DRIVER script).
import { appendFileSync } from 'node:fs';
import { Weft, postgresStore, sqliteStore } from '../../dist/index.js';
import { withTestSeams } from '../../dist/testing/index.js';
import { WORKFLOW_SETS, ledgerWriter } from './workflows.mjs';

const env = process.env;
const ledger = `${env.LEDGER_DIR}/w-${process.pid}.log`;
const log = ledgerWriter(ledger);
const store = env.DB_PATH ? sqliteStore({ path: env.DB_PATH }) : postgresStore({ connectionString: env.PG_URL, schema: env.PG_SCHEMA });
const workflows = WORKFLOW_SETS[env.SET](log);
// C <key> <pid> <t>: a step's success committed. L <runId> <pid> <kind>: this process lost a lease.
function onCommitted(ops) {
  let lines = '';
  const t = Date.now();
  for (const op of ops) {
    if (op.type === 'journal' && op.entry.status === 'success' && op.entry.kind === 'step') {
      const id = op.entry.path.split('/').pop().replace(/#\d+$/, '');
      lines += `C\t${op.entry.runId}/${id}\t${process.pid}\t${t}\n`;
    }
  }
  if (lines) appendFileSync(ledger, lines);
}

const weft = new Weft(
  withTestSeams(
    {
      workflows,
      store,
      worker:
        env.WORKER === '0'
          ? false
          : { concurrency: Number(env.CONCURRENCY ?? 25), leaseMs: Number(env.LEASE_MS ?? 2000), pollMs: Number(env.POLL_MS ?? 200) },
      inProcessSleepMs: 100,
      onError: (e) => {
        if (e?.code === 'STORE_CLOSED') return;
        process.stderr.write(`[worker ${process.pid}] ${e?.stack ?? e}\n`);
      },
    },
    {
      onCommitted,
      onLeaseLost: (runId, kind) => log(`L\t${runId}\t${process.pid}\t${kind}\t${Date.now()}`),
      leaseGuard: env.NO_LEASE_GUARD !== '1',
    },
  ),
);

await weft.start();
process.on('SIGTERM', () => {
  void weft.stop({ timeoutMs: 3000 }).then(() => process.exit(0));
});
process.stdout.write('ready\n');

if (env.DRIVER) {
  // Driver scripts run in a client process: they get the engine and report progress on stdout.
  const { drive } = await import(env.DRIVER);
  try {
    await drive(weft, (msg) => process.stdout.write(msg + '\n'));
    await weft.stop();
    process.exit(0);
  } catch (err) {
    process.stderr.write(`[driver] ${err?.stack ?? err}\n`);
    process.exit(1);
  }
}
