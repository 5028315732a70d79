import { expandStored, isEnvelope, type BlobSource, type StoredBlob } from '../../domain/value-codec.js';
import type { JournalEntry, JournalGeneration, WriteOp } from '../types.js';

/**
 * Journal rows and the run's blobs (domain/value-codec.ts). Rows are written with the blobs their
 * values reference, in the same transaction; rows are read back with every reference resolved, so
 * what a store returns is plain JSON (or an inline envelope) that any reader decodes without blobs.
 */

/** Whether any row has a value stored by reference (only then are the run's blobs read). */
export function rowsNeedBlobs(rows: readonly JournalEntry[]): boolean {
  for (const r of rows) {
    if ((r.input !== null && isEnvelope(r.input)) || (r.output !== null && isEnvelope(r.output))) return true;
  }
  return false;
}

function expandField(text: string | null, blobs: BlobSource): string | null {
  if (text === null || !isEnvelope(text)) return text;
  try {
    return expandStored(text, blobs);
  } catch {
    // A missing blob or bad text: left as stored, so decoding reports the run as corrupt where it is read.
    return text;
  }
}

/** The rows with their values resolved (in place: rows are fresh from the database or copies). */
export function expandRows<R extends JournalEntry>(rows: R[], blobs: BlobSource): R[] {
  for (const r of rows) {
    r.input = expandField(r.input, blobs);
    r.output = expandField(r.output, blobs);
    if ('blobs' in r) delete r.blobs;
  }
  return rows;
}

/** expandRows for every generation of a run's history. */
export function expandHistory(gens: JournalGeneration[], blobs: BlobSource): JournalGeneration[] {
  for (const g of gens) expandRows(g.rows, blobs);
  return gens;
}

/** The blobs of the journal ops in `ops` that were not fenced, in order (duplicates are harmless). */
export function blobsOf(ops: readonly WriteOp[], fenced?: ReadonlySet<string>): { runId: string; blob: StoredBlob }[] {
  const out: { runId: string; blob: StoredBlob }[] = [];
  for (const op of ops) {
    if (op.type !== 'journal' || !op.entry.blobs) continue;
    if (fenced?.has(op.entry.runId)) continue;
    for (const blob of op.entry.blobs) out.push({ runId: op.entry.runId, blob });
  }
  return out;
}

/** A BlobSource over blobs read as rows. */
export function blobMap(rows: readonly { hash: string; data: string }[]): BlobSource {
  const m = new Map<string, string>();
  for (const r of rows) m.set(r.hash, r.data);
  return (h) => m.get(h);
}
