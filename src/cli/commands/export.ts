import { writeFileSync } from 'node:fs';
import { isRunStatus, type RunStatus } from '../../domain/run-status.js';
import type { JournalEntry, RunRecord, Store } from '../../store/index.js';
import { EXIT, STORE, UsageError, parse, str } from '../args.js';
import { storeTarget } from '../connect.js';
import { openStore } from './maintenance.js';

const OPTIONS = {
  ...STORE,
  status: { type: 'string' as const },
  workflow: { type: 'string' as const, multiple: true },
  run: { type: 'string' as const, multiple: true },
  out: { type: 'string' as const },
};

const UNFINISHED: RunStatus[] = ['pending', 'running', 'waiting', 'suspended', 'paused'];
const PAGE = 1000;

/** One exported run: what `replayRuns({ histories })` (weft/testing) reads. */
interface Exported {
  run: Pick<RunRecord, 'runId' | 'workflowId' | 'status' | 'fingerprint' | 'createdAt' | 'updatedAt'>;
  journal: Omit<JournalEntry, 'runId'>[];
}

function exported(run: RunRecord | Pick<RunRecord, 'runId' | 'workflowId' | 'status' | 'fingerprint'>, rows: JournalEntry[]): Exported {
  const r = run as RunRecord;
  return {
    run: { runId: r.runId, workflowId: r.workflowId, status: r.status, fingerprint: r.fingerprint, createdAt: r.createdAt, updatedAt: r.updatedAt },
    journal: rows.map(({ runId: _runId, ...rest }) => rest),
  };
}

async function collect(store: Store, statuses: RunStatus[], workflowIds: string[] | undefined, runIds: string[] | undefined): Promise<Exported[]> {
  const out: Exported[] = [];
  if (runIds) {
    for (const id of runIds) {
      const run = await store.loadRun(id);
      if (!run) throw new UsageError(`run "${id}" does not exist in this store`, 'runs');
      out.push(exported(run, await store.loadJournal(id)));
    }
    return out;
  }
  for (let after: string | null = null; ; ) {
    const heads = await store.scanRuns({ statuses, after, limit: PAGE, ...(workflowIds ? { workflowIds } : {}) });
    if (heads.length === 0) return out;
    const rows = await store.loadJournals(heads.map((h) => h.runId));
    for (const h of heads) out.push(exported(h, rows.filter((r) => r.runId === h.runId)));
    after = heads[heads.length - 1]!.runId;
    if (heads.length < PAGE) return out;
  }
}

/**
 * `weft runs export`: runs and their journals as JSON, read from the store (unfinished runs by default),
 * for `replayRuns({ histories })` in a test suite: yesterday's runs against today's code.
 */
export async function exportRuns(argv: string[]): Promise<number> {
  const { values } = parse(argv, OPTIONS, 'runs');
  const statusText = str(values, 'status');
  const statuses = statusText ? statusText.split(',').map((s) => s.trim()) : UNFINISHED;
  for (const s of statuses) if (!isRunStatus(s)) throw new UsageError(`unknown status "${s}"`, 'runs');
  const workflowIds = values.workflow as string[] | undefined;
  const runIds = values.run as string[] | undefined;
  const store = openStore(storeTarget(values));
  let runs: Exported[];
  try {
    await store.open();
    runs = await collect(store, statuses as RunStatus[], workflowIds?.length ? workflowIds : undefined, runIds?.length ? runIds : undefined);
  } finally {
    await store.close();
  }
  const text = `${JSON.stringify(runs, null, 2)}\n`;
  const out = str(values, 'out');
  if (out) {
    writeFileSync(out, text);
    process.stderr.write(`exported ${runs.length} run${runs.length === 1 ? '' : 's'} to ${out}\n`);
  } else process.stdout.write(text);
  return EXIT.ok;
}
