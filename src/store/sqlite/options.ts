/**
 * The SQLite store's public options, apart from open.ts so that weft's published types never import
 * better-sqlite3 (its types are not a dependency of weft; see postgres/options.ts).
 */
export interface SqliteStoreOptions {
  /** Database file. The parent directory is created when missing. ':memory:' works too (tests). */
  path: string;
  /** NORMAL (default) survives process crashes; FULL also survives power loss, at a cost per commit. */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long a statement waits for another process's write lock before failing (retryable). */
  busyTimeoutMs?: number;
}
