import type Database from 'better-sqlite3';
import type { SqliteDb } from './open.js';

const MAX_CACHED = 10_000;

/**
 * What a write batch needs to know about a run: its journal key (rk) and its lease epoch, for fencing.
 *
 * Reading the epoch from the row on every batch cost one SELECT per run per step. Instead the epoch is
 * cached, and the cache is trusted only while no other connection has committed to the file: SQLite's
 * `PRAGMA data_version` changes exactly when another connection commits, and it is read inside the
 * write transaction (whose lock keeps everyone else out until it ends). Writes on this connection that
 * may move an epoch (claims, cancel, resume, retry, delete) forget the cache; the hot path's own writes
 * never change an epoch. A run's rk never changes, so it is cached regardless (a lookup by rk also
 * checks the id, so an rk freed by a delete and reused by another run misses and falls back).
 */
export class RunKeys {
  private readonly keys = new Map<string, number>();
  private readonly epochs = new Map<string, number>();
  private dataVersion: number | undefined;
  private readonly version: Database.Statement;
  private readonly byId: Database.Statement;
  private readonly byKey: Database.Statement;

  constructor(db: SqliteDb) {
    this.version = db.prepare('PRAGMA data_version').pluck();
    this.byId = db.prepare(`SELECT rk, lease_epoch AS epoch FROM runs WHERE id = ?`).raw();
    this.byKey = db.prepare(`SELECT lease_epoch FROM runs WHERE rk = ? AND id = ?`).pluck();
  }

  /** Call at the start of a write transaction: drops cached epochs if another connection committed. */
  sync(): void {
    const v = this.version.get() as number;
    if (v !== this.dataVersion) {
      this.epochs.clear();
      this.dataVersion = v;
    }
  }

  /** Forgets every cached epoch (after a write on this connection that may have moved one). */
  forgetEpochs(): void {
    this.epochs.clear();
  }

  /** The run's rk and current epoch, or undefined when the run does not exist. */
  lookup(runId: string): [number, number] | undefined {
    const rk = this.keys.get(runId);
    if (rk !== undefined) {
      const cached = this.epochs.get(runId);
      if (cached !== undefined) return [rk, cached];
      const epoch = this.byKey.get(rk, runId) as number | undefined;
      if (epoch !== undefined) {
        this.epochs.set(runId, epoch);
        return [rk, epoch];
      }
      this.keys.delete(runId);
    }
    const row = this.byId.get(runId) as [number, number] | undefined;
    if (row) this.remember(runId, row[0], row[1]);
    return row;
  }

  /** A run this connection just inserted (its epoch starts at 1). */
  remember(runId: string, rk: number, epoch: number): void {
    if (this.keys.size >= MAX_CACHED) {
      this.keys.clear();
      this.epochs.clear();
    }
    this.keys.set(runId, rk);
    this.epochs.set(runId, epoch);
  }

  /** Forgets everything (after a rolled-back transaction whose inserts and epochs never happened). */
  reset(): void {
    this.keys.clear();
    this.epochs.clear();
  }

  /** The run left this process's hands (settled, parked, fenced): nothing more to cache for it. */
  forget(runId: string): void {
    this.keys.delete(runId);
    this.epochs.delete(runId);
  }
}
