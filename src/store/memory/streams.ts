import type { StreamOp, StreamRow } from '../types.js';
import { resetRow, streamPage } from '../shared/stream-rules.js';

interface MemoryChunk extends StreamRow {
  epoch: number;
  /** Chunks of a call whose outcome was not recorded yet: a takeover or a retry voids them. */
  open: boolean;
}

/** The memory store's run streams, in position order per run. */
export class MemoryStreams {
  private readonly byRun = new Map<string, MemoryChunk[]>();

  /** Applies one stream op of a run whose epoch was checked; `next` hands out positions. */
  apply(op: StreamOp, next: () => number): void {
    let rows = this.byRun.get(op.runId);
    switch (op.type) {
      case 'chunks':
        if (!rows) this.byRun.set(op.runId, (rows = []));
        for (const c of op.chunks) rows.push({ runId: op.runId, pos: next(), path: c.path, step: c.step, attempt: c.attempt, type: c.type, payload: c.payload, epoch: op.epoch, open: true });
        return;
      case 'stream-close':
        for (const r of rows ?? []) if (r.open && r.path === op.path && r.attempt === op.attempt && r.epoch === op.epoch) r.open = false;
        return;
      case 'stream-void': {
        if (!rows) return;
        const voids = (r: MemoryChunk): boolean =>
          r.open && (op.path === undefined ? r.epoch < op.epoch : r.path === op.path && r.epoch === op.epoch && r.attempt < op.beforeAttempt!);
        const gone = rows.filter(voids);
        if (gone.length === 0) return;
        const kept = rows.filter((r) => !voids(r));
        const byPath = new Map<string, MemoryChunk[]>();
        for (const r of gone) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
        for (const [path, list] of byPath) {
          const last = list[list.length - 1]!;
          const reset = resetRow(op.runId, next(), path, last.step, last.attempt, list.map((r) => r.pos));
          kept.push({ ...reset, epoch: op.epoch, open: false });
        }
        this.byRun.set(op.runId, kept);
        return;
      }
    }
  }

  read(runId: string, after: number, limit: number): StreamRow[] {
    const out: StreamRow[] = [];
    const max = streamPage(limit);
    for (const r of this.byRun.get(runId) ?? []) {
      if (r.pos <= after) continue;
      out.push({ runId: r.runId, pos: r.pos, path: r.path, step: r.step, attempt: r.attempt, type: r.type, payload: r.payload });
      if (out.length >= max) break;
    }
    return out;
  }

  delete(runId: string): void {
    this.byRun.delete(runId);
  }
}
