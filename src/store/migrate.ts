import type { Store } from './types.js';

/**
 * Brings a store's schema up to date. Every store migrates when it opens, so this is open() under a name
 * that says what it is for (the `weft migrate` command, deploy scripts). Leaves the store open.
 */
export async function migrate(store: Store): Promise<void> {
  await store.open();
}
