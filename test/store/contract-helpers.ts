import type { JournalEntry, NewRun, RunRecord, RunStatus, Store } from '../../src/store/types.js';

export const T0 = 1_700_000_000_000;
export const LEASE_MS = 30_000;
export const WF = 'wf-a';

export type MakeStore = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

/** Gives each test a fresh, opened store and closes it afterwards. */
export interface StoreFixture {
  readonly store: Store;
}

let counter = 0;
export function uid(prefix = 'run'): string {
  counter += 1;
  return `${prefix}-${counter.toString().padStart(5, '0')}`;
}

export function newRun(overrides: Partial<NewRun> = {}): NewRun {
  return {
    runId: uid(),
    workflowId: WF,
    status: 'pending',
    resourceId: null,
    input: '{"n":1}',
    state: null,
    requestContext: null,
    tracing: null,
    priority: 0,
    concurrencyKey: null,
    owner: null,
    leaseExpiresAt: null,
    now: T0,
    ...overrides,
  };
}

export function entry(runId: string, path: string, overrides: Partial<JournalEntry> = {}): JournalEntry {
  return {
    runId,
    path,
    kind: 'step',
    status: 'success',
    attempt: 1,
    input: '{"in":true}',
    output: '{"out":true}',
    error: null,
    meta: null,
    startedAt: T0 + 1,
    endedAt: T0 + 2,
    ...overrides,
  };
}

/** Without seq and stream positions (assigned by the store), for comparing what was written to what was read. */
export function stripSeq(rows: JournalEntry[]): JournalEntry[] {
  return rows.map(({ seq: _seq, pos: _pos, firstPos: _firstPos, ...rest }) => rest);
}

export interface RunInOptions extends Partial<NewRun> {
  wakeAt?: number | null;
}

/**
 * Creates a run and drives it into `status` the way a worker would (claim, then fenced writes), so the
 * store's own operations produce the state under test.
 */
export async function runIn(store: Store, status: RunStatus, opts: RunInOptions = {}): Promise<RunRecord> {
  const { wakeAt, ...rest } = opts;
  const now = rest.now ?? T0;
  if (status === 'pending') return (await store.createRun(newRun(rest))).run;
  const owner = rest.owner ?? 'worker-setup';
  const { run } = await store.createRun(
    newRun({ ...rest, status: 'running', owner, leaseExpiresAt: rest.leaseExpiresAt ?? now + LEASE_MS }),
  );
  if (status === 'running') return run;
  const release = true;
  const patch =
    status === 'waiting'
      ? { status, wakeAt: wakeAt === undefined ? now + 1_000 : wakeAt, release }
      : { status, release, ...(status === 'success' ? { result: '{"ok":1}' } : {}), ...(status === 'failed' ? { error: '{"message":"x"}' } : {}) };
  const out = await store.write([{ type: 'run', runId: run.runId, epoch: run.leaseEpoch, patch, now }]);
  if (out.fenced.length) throw new Error('setup write was fenced');
  const loaded = await store.loadRun(run.runId);
  if (!loaded) throw new Error('setup run vanished');
  return loaded;
}

/** A suspended run whose journal has a suspended row at `path`. */
export async function suspendedRun(
  store: Store,
  path = 'approve',
  meta: Record<string, unknown> = { suspendPayload: { reason: 'needs approval' }, resumeLabels: { ok: 'approve' } },
): Promise<RunRecord> {
  const { run } = await store.createRun(newRun({ status: 'running', owner: 'w1', leaseExpiresAt: T0 + LEASE_MS }));
  const out = await store.write([
    { type: 'journal', epoch: run.leaseEpoch, entry: entry(run.runId, 'before') },
    {
      type: 'journal',
      epoch: run.leaseEpoch,
      entry: entry(run.runId, path, { status: 'suspended', output: null, endedAt: null, meta: JSON.stringify(meta) }),
    },
    { type: 'run', runId: run.runId, epoch: run.leaseEpoch, patch: { status: 'suspended', release: true }, now: T0 + 5 },
  ]);
  if (out.fenced.length) throw new Error('setup write was fenced');
  const loaded = await store.loadRun(run.runId);
  if (!loaded) throw new Error('setup run vanished');
  return loaded;
}

export async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}
