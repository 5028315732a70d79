import { sqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/types.js';

import { DEFAULT_DB_PATH } from '../domain/defaults.js';

export { DEFAULT_DB_PATH };

/** The embedded default: one SQLite file under .weft/ in the working directory. */
export function openDefaultStore(): Store {
  return sqliteStore({ path: DEFAULT_DB_PATH });
}
