import { sqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/types.js';

export const DEFAULT_DB_PATH = '.weft/weft.db';

/** The embedded default: one SQLite file under .weft/ in the working directory. */
export function openDefaultStore(): Store {
  return sqliteStore({ path: DEFAULT_DB_PATH });
}
