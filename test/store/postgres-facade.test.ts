import { describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { PostgresStoreCore } from '../../src/store/postgres/store-core.js';
import type { Store } from '../../src/store/types.js';

/**
 * Every member of the Store interface. A Record over `keyof Store` makes the compiler refuse this list
 * when the interface gains a member it does not name, so the check below cannot fall behind.
 */
const STORE_MEMBERS: Record<keyof Store, true> = {
  admitRun: true, blobBytes: true, cancelRun: true, claimRun: true, claimRuns: true, claimUnreleased: true,
  clockOffsetMs: true, close: true, colocatedRunId: true, createRun: true, createRuns: true, createRunsSettled: true,
  deleteRun: true, ensureSchedule: true, expireOwner: true, kind: true, listOwners: true, listRuns: true,
  listSchedules: true, loadEvent: true, loadHistory: true, loadJournal: true, loadJournals: true, loadLinks: true,
  loadRun: true, maintain: true, markScheduleFired: true, newRunId: true, nextWakeAt: true, open: true,
  pruneEvents: true, pruneRuns: true, readStream: true, registerChildWait: true, registerWait: true,
  renewLeases: true, resumeRun: true, retryRun: true, reviseRun: true, scanRuns: true, sendEvent: true,
  setClock: true, setSchedulePaused: true, subscribe: true, write: true, writeSettled: true,
};

/** Whether a class's instances have `name` (a prototype method or getter; a field set in the constructor). */
function declares(cls: { prototype: object }, instance: object, name: string): boolean {
  if (Object.prototype.hasOwnProperty.call(instance, name)) return true;
  for (let p: object | null = cls.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.getOwnPropertyDescriptor(p, name)) return true;
  }
  return false;
}

describe('PostgresStore (the lazily loading facade)', () => {
  // Optional Store members are not checked by the compiler on the facade: one the implementation has
  // but the facade does not forward would silently turn a feature off on PostgreSQL.
  it('has every Store member its implementation has', () => {
    const core = new PostgresStoreCore({});
    const facade = new PostgresStore({});
    const missing = Object.keys(STORE_MEMBERS).filter((m) => declares(PostgresStoreCore, core, m) && !declares(PostgresStore, facade, m));
    expect(missing).toEqual([]);
    // The check sees the optional members the implementation has (it would pass vacuously otherwise).
    expect(declares(PostgresStoreCore, core, 'registerChildWait')).toBe(true);
  });
});
