import { STREAM_RESET, type JournalEntry, type StreamRow } from '../types.js';

/**
 * The stream rules every store applies the same way (docs/durability.md, "Run streams"). The SQL
 * stores express them in their statements; the memory store calls these.
 */

/**
 * The stream positions of a journal row written at `next` over `prev` (the row stored at its path, if
 * any): a new outcome (status) or a new call (start time) is a new event at `next`; a rewrite of the
 * same outcome keeps its position, so readers past it do not get it again.
 */
export function rowPositions(prev: JournalEntry | undefined, entry: JournalEntry, next: number): { pos: number; firstPos: number } {
  if (!prev || prev.startedAt !== entry.startedAt) return { pos: next, firstPos: next };
  const firstPos = prev.firstPos ?? 0;
  if (prev.status === entry.status) return { pos: prev.pos ?? 0, firstPos };
  return { pos: next, firstPos };
}

/** The reset row that names the chunks a void deleted (their positions, ascending). */
export function resetRow(runId: string, pos: number, path: string, step: string, attempt: number, voided: number[]): StreamRow {
  return { runId, pos, path, step, attempt, type: STREAM_RESET, payload: JSON.stringify({ voided }) };
}

/** Most stream rows one readStream returns, whatever the caller asks. */
export const MAX_STREAM_PAGE = 1000;

export function streamPage(limit: number): number {
  return Number.isInteger(limit) && limit > 0 ? Math.min(limit, MAX_STREAM_PAGE) : MAX_STREAM_PAGE;
}
