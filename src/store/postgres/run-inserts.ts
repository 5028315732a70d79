import type pg from 'pg';
import { StoreError } from '../../errors.js';
import type { NewRun, RunRecord } from '../types.js';
import { insertedRecord, newRunValues } from '../shared/run-rules.js';
import { query } from './connection.js';
import { leaseLength, type RunSql } from './run-queries.js';

/**
 * Creating runs on PostgreSQL: one run as a named INSERT with scalar parameters (a start's
 * acknowledgement), a batch as one INSERT ... SELECT FROM unnest; ids that existed already are read back.
 */

/** Creates one run with the general insert (createRun); an existing id is read back, not replaced. */
export async function createOneRun(pool: pg.Pool, sql: RunSql, run: NewRun): Promise<{ created: boolean; run: RunRecord }> {
  const ins = await query<RunRecord>(pool, sql.insert, pgRunValues(run));
  const inserted = ins.rows[0];
  if (inserted) return { created: true, run: inserted };
  const existing = (await query<RunRecord>(pool, sql.byId, [run.runId])).rows[0];
  if (!existing) throw new StoreError(`createRun: run ${run.runId} neither inserted nor found`);
  return { created: false, run: existing };
}

/** The statement names of the two creation statements (named: planned once per connection). */
export interface InsertNames {
  createOne: string;
  createMany: string;
}

/**
 * Creates a batch (createRuns without the checks): only the ids and the lease the database granted come
 * back, the records are built from the input. A repeated id is created once; its later occurrences, and
 * ids that existed, report `created: false` with the stored record.
 */
export async function insertRuns(pool: pg.Pool, sql: RunSql, names: InsertNames, runs: NewRun[]): Promise<{ created: boolean; run: RunRecord }[]> {
  const inserted =
    runs.length === 1
      ? await query<{ id: string; leaseExpiresAt: number | null }>(pool, sql.insertOne, pgRunValues(runs[0]!), names.createOne)
      : await query<{ id: string; leaseExpiresAt: number | null }>(pool, sql.insertMany, runColumns(runs), names.createMany);
  const created = new Map(inserted.rows.map((r) => [r.id, r.leaseExpiresAt]));
  const byId = new Map<string, RunRecord>();
  for (const r of runs) {
    if (created.has(r.runId) && !byId.has(r.runId)) byId.set(r.runId, { ...insertedRecord(r), leaseExpiresAt: created.get(r.runId) ?? null });
  }
  const missing = runs.filter((r) => !byId.has(r.runId)).map((r) => r.runId);
  const existing = new Map<string, RunRecord>();
  if (missing.length) {
    for (const r of (await query<RunRecord>(pool, sql.byIds, [missing])).rows) existing.set(r.runId, r);
  }
  const firstSeen = new Set<string>();
  return runs.map((r) => {
    const fresh = byId.get(r.runId);
    if (fresh && !firstSeen.has(r.runId)) {
      firstSeen.add(r.runId);
      return { created: true, run: fresh };
    }
    const run = fresh ?? existing.get(r.runId);
    if (!run) throw new StoreError(`createRuns: run ${r.runId} neither inserted nor found`);
    return { created: false, run };
  });
}

/** How many values pgRunValues gives (insertOne's parameters, insertMany's arrays). */
const RUN_VALUE_COUNT = 20;

/** insertMany's columns: one array per column, each run once (the first occurrence of an id). */
function runColumns(runs: NewRun[]): unknown[][] {
  const cols: unknown[][] = Array.from({ length: RUN_VALUE_COUNT }, () => []);
  const seen = new Set<string>();
  for (const r of runs) {
    if (seen.has(r.runId)) continue;
    seen.add(r.runId);
    pgRunValues(r).forEach((v, i) => cols[i]!.push(v));
  }
  return cols;
}

/** A new run's column values (shared/run-rules.ts), with the lease as a length: the database adds its clock. */
export function pgRunValues(run: NewRun): unknown[] {
  const values = newRunValues(run);
  values[9] = leaseLength(run.owner, run.leaseExpiresAt, run.now);
  values[12] = Math.round(run.now);
  return values;
}
