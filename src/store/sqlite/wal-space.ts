import { statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';

type SqliteDb = Database.Database;

/** The WAL is checkpointed every this many pages normally (~64 MiB; see open.ts for why that large). */
export const NORMAL_AUTOCHECKPOINT_PAGES = 16_384;
/** ... and every this many (~1 MiB) while the disk is short of space. */
export const TIGHT_AUTOCHECKPOINT_PAGES = 256;
/** Free space on the volume above which the large WAL is allowed again. */
const RELAX_FREE_BYTES = 512 * 1024 * 1024;
/** A WAL larger than this is checkpointed by maintain() even when space is not short. */
const WAL_CHECKPOINT_BYTES = 128 * 1024 * 1024;

/**
 * Keeps a full disk from staying full because of the WAL.
 *
 * With a 64 MiB autocheckpoint, a small volume filled up before the WAL reached the checkpoint size:
 * every write failed with SQLITE_FULL, no commit ever passed the threshold, so no checkpoint ran, and
 * whatever space an operator freed went into the growing WAL again. So after SQLITE_FULL the store
 * checkpoints at once and truncates the WAL (its committed pages go into the database file, and the
 * WAL's space goes back to the filesystem), and switches to a small autocheckpoint (~1 MiB) until
 * maintain() sees plenty of free space again. maintain() (called by the worker about every 30 s) also
 * truncates a WAL that grew past 128 MiB (readers kept checkpoints from completing).
 *
 * Checkpoints here never wait: with busy_timeout 0 they give up at once when another connection is in
 * the way, and the next failure or maintenance pass tries again.
 */
export class WalSpace {
  private tight = false;

  constructor(
    private readonly path: string,
    private readonly busyTimeoutMs: number,
  ) {}

  /** Whether the store runs with the small autocheckpoint (after a full disk). */
  get short(): boolean {
    return this.tight;
  }

  /** A write failed with SQLITE_FULL. */
  onFull(db: SqliteDb): void {
    if (!this.tight) {
      this.tight = true;
      safely(() => db.pragma(`wal_autocheckpoint = ${TIGHT_AUTOCHECKPOINT_PAGES}`));
    }
    this.truncate(db);
  }

  maintain(db: SqliteDb): void {
    if (this.tight) {
      this.truncate(db);
      if (freeBytes(this.path) >= RELAX_FREE_BYTES) {
        this.tight = false;
        safely(() => db.pragma(`wal_autocheckpoint = ${NORMAL_AUTOCHECKPOINT_PAGES}`));
      }
    } else if (walBytes(this.path) > WAL_CHECKPOINT_BYTES) this.truncate(db);
  }

  private truncate(db: SqliteDb): void {
    safely(() => {
      db.pragma('busy_timeout = 0');
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        db.pragma(`busy_timeout = ${Math.floor(this.busyTimeoutMs)}`);
      }
    });
  }
}

/** Best effort: a checkpoint on a full disk or a busy file may fail; the caller's error is what matters. */
function safely(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // Tried again on the next failure or maintenance pass.
  }
}

function freeBytes(path: string): number {
  try {
    const s = statfsSync(dirname(path));
    return s.bavail * s.bsize;
  } catch {
    return 0;
  }
}

function walBytes(path: string): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}
