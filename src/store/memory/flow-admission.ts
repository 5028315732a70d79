import { appendItem, type FlowOps } from '../shared/flow-rules.js';
import { insertedRecord } from '../shared/run-rules.js';
import { isTerminal } from '../types.js';
import type { MemoryRun, MemoryRuns } from './memory-runs.js';

/**
 * The reads and writes start-time flow control needs (FlowOps, shared/flow-rules.ts) on the memory
 * store's runs and flow book; admitSync drives them.
 */
export function flowOps(s: MemoryRuns): FlowOps {
  const book = s.flow;
  return {
    run: (id) => {
      const r = s.runs.get(id);
      return r ? { ...r.record } : null;
    },
    key: (wf, kind, key) => book.key(wf, kind, key),
    putKey: (row) => book.putKey(row),
    dropKey: (wf, kind, key) => book.dropKey(wf, kind, key),
    insertRun: (run, shape) => {
      const record = { ...insertedRecord(run), status: shape.status, wakeAt: shape.wakeAt, statusReason: shape.statusReason };
      const r: MemoryRun = { record, journal: new Map() };
      s.children.link(r, run.parent);
      s.runs.set(run.runId, r);
      s.index.add(r);
      return { ...record };
    },
    mergeInput: (id, mode, item, wakeAt, now) => {
      const r = s.runs.get(id);
      if (!r || r.record.status !== 'waiting' || r.record.owner !== null) return null;
      const rec = r.record;
      rec.input = mode === 'replace' ? item : appendItem(rec.input, item);
      if (wakeAt !== null) rec.wakeAt = wakeAt;
      rec.updatedAt = now;
      s.index.refresh(r);
      return { ...rec };
    },
    cancel: (id, reason, now) => {
      const r = s.runs.get(id);
      if (!r || isTerminal(r.record.status)) return false;
      const before = r.record.status;
      Object.assign(r.record, { status: 'canceled', owner: null, leaseExpiresAt: null, wakeAt: null, statusReason: reason, updatedAt: now });
      r.record.leaseEpoch += 1;
      s.index.refresh(r);
      s.noteHeld(r);
      s.children.statusChanged(r, before, now);
      return true;
    },
    countStarts: (wf, key, since) => book.countStarts(wf, key, since),
    addFlowRun: (id, wf, key, at) => book.addFlowRun(id, wf, key, at),
    pruneStarts: (wf, key, before) => book.pruneStarts(wf, key, before),
  };
}
