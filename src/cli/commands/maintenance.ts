import { TERMINAL_STATUSES, type Store } from '../../store/index.js';
import { EXIT, STORE, UsageError, parse, parseDuration, str } from '../args.js';
import { storeFrom } from '../connect.js';
import { printJson } from '../output.js';

/** `weft migrate`: brings the store's schema up to date (every store also migrates when it opens). */
export async function migrateCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, STORE);
  const { store, describe } = storeFrom(values);
  await store.open();
  await store.close();
  if (values.json) printJson({ migrated: true, store: store.kind });
  else process.stdout.write(`${describe} is up to date\n`);
  return EXIT.ok;
}

const PAGE = 500;

/**
 * Ids of finished runs (success, failed, canceled) last updated before `cutoff`. The store filters by
 * creation time, which is never after the update time, so the pre-filter cannot miss a run.
 */
async function finishedBefore(store: Store, cutoff: number): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 0; ; page++) {
    const res = await store.listRuns({ status: [...TERMINAL_STATUSES], toDate: cutoff, page, perPage: PAGE });
    for (const r of res.runs) if (r.updatedAt < cutoff) ids.push(r.runId);
    if (res.runs.length < PAGE) return ids;
  }
}

/** `weft prune --older-than 30d`: deletes finished runs (and their journals) older than the duration. */
export async function prune(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...STORE, 'older-than': { type: 'string' }, 'dry-run': { type: 'boolean' } });
  const olderThan = str(values, 'older-than');
  if (!olderThan) throw new UsageError('usage: weft prune --older-than <duration> (e.g. 30d) [--dry-run]');
  const cutoff = Date.now() - parseDuration(olderThan);
  const { store, describe } = storeFrom(values);
  await store.open();
  try {
    const ids = await finishedBefore(store, cutoff);
    let deleted = 0;
    if (!values['dry-run']) {
      for (const id of ids) {
        if (await store.deleteRun(id)) deleted++;
        if (!values.json && process.stderr.isTTY && deleted % 100 === 0) process.stderr.write(`\rdeleted ${deleted}/${ids.length}`);
      }
      if (!values.json && process.stderr.isTTY && ids.length >= 100) process.stderr.write('\n');
    }
    const summary = { dryRun: values['dry-run'] === true, matched: ids.length, deleted, cutoff: new Date(cutoff).toISOString() };
    if (values.json) printJson(summary);
    else if (summary.dryRun) process.stdout.write(`${ids.length} finished run(s) older than ${olderThan} in ${describe} would be deleted\n`);
    else process.stdout.write(`deleted ${deleted} finished run(s) older than ${olderThan} from ${describe}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
