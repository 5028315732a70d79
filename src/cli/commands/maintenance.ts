import { loadMigrations } from '../../store/shared/migration-files.js';
import { migratePostgres, migrateSqlite, postgresStore, sqliteStore, TERMINAL_STATUSES, type Store } from '../../store/index.js';
import { EXIT, STORE, UsageError, parse, parseDuration, str } from '../args.js';
import { storeTarget, type StoreTarget } from '../connect.js';
import { printJson } from '../output.js';
import { Progress } from '../progress.js';

export function openStore(target: StoreTarget): Store {
  return target.kind === 'postgres' ? postgresStore({ connectionString: target.url }) : sqliteStore({ path: target.path });
}

/**
 * `weft migrate`: applies pending migrations and lists them. Uses the stores' migrate functions rather
 * than open() (which migrates too) because they report what they applied.
 */
export async function migrateCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, STORE, 'migrate');
  const target = storeTarget(values);
  const progress = new Progress(!values.json);
  // One transaction, so there is no step count to show: the line says what is being waited for.
  progress.update(`migrating ${target.describe}…`, true);
  let applied: number[];
  try {
    applied = (target.kind === 'postgres' ? await migratePostgres({ connectionString: target.url }) : migrateSqlite(target.path)).applied;
  } finally {
    progress.done();
  }
  const all = loadMigrations(target.kind);
  const name = (v: number) => `${String(v).padStart(4, '0')}_${all.find((m) => m.version === v)?.name ?? '?'}`;
  if (values.json) {
    printJson({ migrated: true, store: target.kind, applied: applied.map((v) => ({ version: v, name: name(v) })), version: all.length });
  } else if (applied.length === 0) {
    process.stdout.write(`${target.describe} is up to date (schema version ${all.length})\n`);
  } else {
    process.stdout.write(`applied ${applied.length} migration${applied.length === 1 ? '' : 's'} to ${target.describe}:\n`);
    for (const v of applied) process.stdout.write(`  ${name(v)}\n`);
    process.stdout.write(`now at schema version ${all.length}\n`);
  }
  return EXIT.ok;
}

const PAGE = 500;

/**
 * Ids of finished runs (success, failed, canceled) last updated before `cutoff`. The store filters by
 * creation time, which is never after the update time, so the pre-filter cannot miss a run.
 */
async function finishedBefore(store: Store, cutoff: number, progress: Progress): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 0, seen = 0; ; page++) {
    const res = await store.listRuns({ status: [...TERMINAL_STATUSES], toDate: cutoff, page, perPage: PAGE });
    for (const r of res.runs) if (r.updatedAt < cutoff) ids.push(r.runId);
    seen += res.runs.length;
    const last = res.runs.length < PAGE;
    progress.update(`scanning finished runs: ${seen} of ${res.total} read, ${ids.length} to delete`, last);
    if (last) return ids;
  }
}

/** `weft prune --older-than 30d`: deletes finished runs (and their journals) older than the duration. */
export async function prune(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...STORE, 'older-than': { type: 'string' }, 'dry-run': { type: 'boolean' } }, 'prune');
  const olderThan = str(values, 'older-than');
  if (!olderThan) throw new UsageError('prune needs --older-than <duration> (e.g. 30d)', 'prune');
  const cutoff = Date.now() - parseDuration(olderThan, 'prune');
  const target = storeTarget(values);
  const store = openStore(target);
  const progress = new Progress(!values.json);
  progress.update(`opening ${target.describe}…`, true);
  await store.open();
  try {
    const ids = await finishedBefore(store, cutoff, progress);
    let deleted = 0;
    if (!values['dry-run']) {
      for (const [i, id] of ids.entries()) {
        if (await store.deleteRun(id)) deleted++;
        progress.update(`deleting: ${i + 1} of ${ids.length}`, i + 1 === ids.length);
      }
    }
    progress.done();
    const summary = { dryRun: values['dry-run'] === true, matched: ids.length, deleted, cutoff: new Date(cutoff).toISOString() };
    if (values.json) printJson(summary);
    else if (summary.dryRun) process.stdout.write(`${ids.length} finished run(s) older than ${olderThan} in ${target.describe} would be deleted\n`);
    else process.stdout.write(`deleted ${deleted} finished run(s) older than ${olderThan} from ${target.describe}\n`);
    return EXIT.ok;
  } finally {
    progress.done();
    await store.close();
  }
}
