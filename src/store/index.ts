export type {
  ClaimOptions,
  ClaimedRun,
  JournalEntry,
  JournalKind,
  JournalStatus,
  ListRunsFilter,
  ListRunsResult,
  NewRun,
  ResumeRequest,
  RunPatch,
  RunRecord,
  RunStatus,
  SettledCreate,
  Store,
  WriteOp,
  WriteOutcome,
} from './types.js';
export { ACTIVE_STATUSES, TERMINAL_STATUSES, isTerminal } from './types.js';
export { MemoryStore, memoryStore } from './memory/memory-store.js';
export { SqliteStore, sqliteStore } from './sqlite/sqlite-store.js';
export type { SqliteStoreOptions } from './sqlite/options.js';
export { migrateSqlite } from './sqlite/migrations.js';
export { PostgresStore, postgresStore } from './postgres/postgres-store.js';
export type { PostgresStoreOptions, PgPool } from './postgres/options.js';
export { migratePostgres } from './postgres/migrations.js';
export { migrate } from './migrate.js';
export { ShardedStore, shardedStore } from './sharded/sharded-store.js';
export type { ShardedStoreOptions } from './sharded/sharded-store.js';
export type { ShardBy } from './sharded/routing.js';
