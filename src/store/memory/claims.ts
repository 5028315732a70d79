import { isSettled } from '../../domain/run-status.js';
import { isClaimable, isUnreleased } from '../shared/run-rules.js';
import type { ClaimOptions, ClaimedRun, RunRecord } from '../types.js';
import { journalOf, type MemoryRun, type MemoryRuns } from './memory-runs.js';
import { claimsBefore } from './run-queue.js';

/**
 * The memory store's claims and leases, on its runs (memory-runs.ts): claiming runnable and unreleased
 * runs under concurrency limits and throttles, renewing and expiring leases, and the next timer. The
 * store checks the arguments; these run synchronously, so no other call interleaves with one.
 */

/** Claims one run that is claimable (the caller checked): running under `owner`, with a new epoch. */
export function takeClaim(s: MemoryRuns, r: MemoryRun, owner: string, leaseMs: number, now: number): ClaimedRun {
  const rec = r.record;
  rec.status = 'running';
  rec.owner = owner;
  rec.leaseEpoch += 1;
  rec.leaseExpiresAt = now + leaseMs;
  rec.wakeAt = null;
  rec.updatedAt = now;
  s.index.refresh(r);
  s.noteHeld(r);
  return { run: { ...rec }, journal: journalOf(r) };
}

/** Store.claimRuns: highest priority and oldest first, within the limits and throttles. */
export function claimRuns(s: MemoryRuns, opts: ClaimOptions): ClaimedRun[] {
  const wanted = new Set(opts.workflowIds);
  const isWanted = (r: MemoryRun): boolean => wanted.has(r.record.workflowId);
  // Expired leases and due timers, among the few started runs; pending runs come from the queue.
  const started = [...s.index.startedRuns()].filter((r) => isWanted(r) && isClaimable(r.record, opts.now));
  started.sort((a, b) => (claimsBefore(a.record, b.record) ? -1 : 1));
  // Concurrency limits: free slots per (workflow, key) = limit - runs holding a live lease.
  const limits = opts.limits ?? {};
  const slots = new Map<string, number>();
  const slotKey = (rec: RunRecord) => `${rec.workflowId}\u0000${rec.concurrencyKey ?? '\u0001'}`;
  if (Object.keys(limits).length) {
    for (const r of s.index.startedRuns()) {
      const rec = r.record;
      const max = limits[rec.workflowId];
      if (max === undefined) continue;
      const k = slotKey(rec);
      const live = rec.status === 'running' && rec.owner !== null && (rec.leaseExpiresAt ?? 0) > opts.now ? 1 : 0;
      slots.set(k, (slots.get(k) ?? max) - live);
    }
  }
  const throttles = opts.throttles ?? {};
  const throttled = new Map<string, number>();
  const out: ClaimedRun[] = [];
  const passed: MemoryRun[] = [];
  let i = 0;
  let pending = s.index.nextPending(isWanted, passed);
  // Synchronous from candidate selection to the last claim: an await in between would let a concurrent
  // claimRuns take the same candidates.
  while (out.length < opts.limit) {
    const other = started[i];
    const fromQueue = pending !== undefined && (other === undefined || claimsBefore(pending.record, other.record));
    const r = fromQueue ? pending : other;
    if (r === undefined) break;
    if (fromQueue) pending = s.index.nextPending(isWanted, passed);
    else i++;
    // Throttle first, then the concurrency limit; a run is taken only when both have room.
    const wf = r.record.workflowId;
    const t = throttles[wf];
    const first = t ? s.flow.throttleOf(r.record.runId) : null;
    const tGroup = first && !first.started ? `${wf}\u0000${first.key}` : null;
    let used = 0;
    if (t && first && tGroup !== null) {
      used = throttled.get(tGroup) ?? -1;
      if (used < 0) {
        s.flow.pruneStarts(wf, first.key, opts.now - t.periodMs);
        used = s.flow.countStarts(wf, first.key, opts.now - t.periodMs);
      }
      throttled.set(tGroup, used);
    }
    const k = limits[wf] !== undefined ? slotKey(r.record) : null;
    const left = k === null ? 1 : (slots.get(k) ?? limits[wf] ?? 0);
    if ((t && tGroup !== null && used >= t.limit) || left <= 0) {
      if (fromQueue) passed.push(r);
      continue;
    }
    if (k !== null) slots.set(k, left - 1);
    if (tGroup !== null && first) {
      throttled.set(tGroup, used + 1);
      s.flow.started(r.record.runId, wf, first.key, opts.now);
    }
    out.push(takeClaim(s, r, opts.owner, opts.leaseMs, opts.now));
  }
  if (pending) passed.push(pending);
  s.index.requeue(passed);
  return out;
}

/** Store.claimUnreleased: settled runs whose owner's lease expired before their work after the outcome. */
export function claimUnreleased(s: MemoryRuns, opts: ClaimOptions & { runId?: string }): ClaimedRun[] {
  const wanted = new Set(opts.workflowIds);
  const out: ClaimedRun[] = [];
  for (const r of s.held) {
    if (out.length >= opts.limit) break;
    const rec = r.record;
    if (!wanted.has(rec.workflowId) || !isUnreleased(rec, opts.now)) continue;
    if (opts.runId !== undefined && rec.runId !== opts.runId) continue;
    // The status stays: the outcome is final, only the work after it is taken over.
    rec.owner = opts.owner;
    rec.leaseEpoch += 1;
    rec.leaseExpiresAt = opts.now + opts.leaseMs;
    rec.updatedAt = opts.now;
    out.push({ run: { ...rec }, journal: journalOf(r) });
  }
  return out;
}

/** Store.renewLeases (the owner and lease were checked when there are runs). */
export function renewLeases(s: MemoryRuns, owner: string, runIds: string[], leaseMs: number, now: number): { lost: string[] } {
  const lost: string[] = [];
  for (const id of runIds) {
    const r = s.runs.get(id);
    // Running runs, and settled ones held for their lifecycle callbacks.
    if (!r || r.record.owner !== owner || !(r.record.status === 'running' || isSettled(r.record.status))) lost.push(id);
    else r.record.leaseExpiresAt = now + leaseMs;
  }
  return { lost };
}

export function listOwners(s: MemoryRuns, now: number): string[] {
  const owners = new Set<string>();
  for (const r of s.index.startedRuns()) {
    const rec = r.record;
    if (rec.owner && rec.status === 'running' && (rec.leaseExpiresAt ?? 0) > now) owners.add(rec.owner);
  }
  return [...owners];
}

export function expireOwner(s: MemoryRuns, owner: string): number {
  let n = 0;
  for (const r of s.index.startedRuns()) {
    if (r.record.owner === owner && r.record.status === 'running') {
      r.record.leaseExpiresAt = 0;
      n++;
    }
  }
  return n;
}

export function nextWakeAt(s: MemoryRuns, workflowIds: string[]): number | null {
  const wanted = new Set(workflowIds);
  let min: number | null = null;
  for (const r of s.index.startedRuns()) {
    const rec = r.record;
    if (rec.status === 'waiting' && rec.wakeAt !== null && wanted.has(rec.workflowId)) {
      if (min === null || rec.wakeAt < min) min = rec.wakeAt;
    }
  }
  return min;
}
