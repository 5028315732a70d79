import type { WorkflowEvent } from '../domain/workflow-events.js';
import type { Store } from '../store/types.js';
import { readRunStream, type RunStreamEvent } from './stream-reader.js';
import { followStreamPages } from './stream-follow.js';

/**
 * A run handle's stream read from the run's durable stream (stream-reader.ts) instead of this
 * process's live events: for runs that execute in another process, or began before this handle
 * subscribed. It replays and follows the stored stream and hands the handle plain events, holding
 * back what a retry or a crash could still take back (FinalChunks), so a handle's consumer never sees
 * a superseded chunk and never needs to apply a reset.
 */

export interface DurableSource {
  store: Store;
  /** Wakes the reader after this process commits writes of the run. */
  onCommit(runId: string, wake: () => void): () => void;
  /** How often the store is read while nothing wakes the reader, in ms. */
  pollMs: number;
}

/**
 * The rule that keeps superseded chunks from a handle's consumer: an output chunk
 * (`workflow-step-output`) or custom `data-*` event is held until the call that wrote it is
 * recorded, i.e. until the step's `workflow-step-result` or `workflow-step-suspended` event (the
 * chunks come out just before it, in their order), or until the run settles (what is still held then
 * is final: the chunks of a step that failed or was canceled). A `workflow-step-output-reset` drops the
 * held chunks it voids and is itself never passed on. Step starts pass at once: a start voided with its
 * attempt is followed by the next attempt's start, as a live stream shows a retried step.
 */
export class FinalChunks {
  /** Held chunks by the step (event id) that wrote them, in stream order. */
  private readonly held = new Map<string, RunStreamEvent[]>();

  /** The events to pass on now, in order, for the next event of the stream. */
  push(e: RunStreamEvent): WorkflowEvent[] {
    const { type, payload } = e.event;
    if (type === 'workflow-step-output' || type.startsWith('data-')) {
      const step = e.step ?? String(payload.id);
      let list = this.held.get(step);
      if (!list) this.held.set(step, (list = []));
      list.push(e);
      return [];
    }
    if (type === 'workflow-step-output-reset') {
      const voided = new Set((payload.voided as string[] | undefined) ?? []);
      for (const [step, list] of this.held) {
        const kept = list.filter((c) => !voided.has(c.id));
        if (kept.length) this.held.set(step, kept);
        else this.held.delete(step);
      }
      return [];
    }
    if (type === 'workflow-step-result' || type === 'workflow-step-suspended') {
      const step = String(payload.id);
      const list = this.held.get(step) ?? [];
      this.held.delete(step);
      return [...list.map((c) => c.event), e.event];
    }
    if (type === 'workflow-finish') return [...this.flush(), e.event];
    return [e.event];
  }

  /** Every held chunk, in stream order (the run settled: nothing can void them any more). */
  flush(): WorkflowEvent[] {
    const all = [...this.held.values()].flat().sort((a, b) => compareIds(a.id, b.id));
    this.held.clear();
    return all.map((c) => c.event);
  }
}

function compareIds(a: string, b: string): number {
  const [ap, ak] = a.split(':').map(Number) as [number, number];
  const [bp, bk] = b.split(':').map(Number) as [number, number];
  return ap - bp || ak - bk;
}

/** The id of the last event of the run's stream as stored now (null: none), to follow what comes after. */
export async function streamTail(store: Store, runId: string): Promise<string | null> {
  let last: string | null = null;
  for (;;) {
    const page = await readRunStream(store, runId, last);
    last = page.events.at(-1)?.id ?? last;
    if (!page.more) return last;
  }
}

export interface DurableFollow {
  /** Continue after this id (null: from the start of the run). */
  after: string | null;
  /** Gets each event the handle may see, in order; returns true to stop (the stream ended). */
  deliver(e: WorkflowEvent): boolean;
  /** Whether a settled run ends the follow (`settled`), or only an ended one (`terminal`). */
  untilTerminal: boolean;
  signal: AbortSignal;
}

/**
 * Follows the run's durable stream from `after` through FinalChunks until `deliver` says the stream
 * ended, the run is gone, the run settled (unless `untilTerminal`: then a suspended run is waited
 * on through its resume) or `signal` aborts.
 */
export async function followDurable(src: DurableSource, runId: string, o: DurableFollow): Promise<void> {
  const gate = new FinalChunks();
  const pages = followStreamPages(src, runId, { after: o.after, signal: o.signal, pollMs: src.pollMs, throughSuspensions: o.untilTerminal });
  for await (const page of pages) {
    for (const e of page.events) for (const out of gate.push(e)) if (o.deliver(out)) return;
    if (page.settled) for (const out of gate.flush()) if (o.deliver(out)) return;
  }
}
