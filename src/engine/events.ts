import type { CustomEventType, WorkflowEvent, WorkflowEventType } from '../domain/workflow-events.js';

type Listener = (e: WorkflowEvent) => void;

/** Where a run's live events can be followed. */
export interface EventSource {
  subscribe(runId: string, listener: Listener): () => void;
}

/**
 * In-process fan-out of run events. Emitting costs one map lookup when nobody listens, so the hot
 * path pays nothing for streaming it does not use.
 */
export class EventHub implements EventSource {
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Readers of runs' durable streams waiting for this process's next commit of the run. */
  private readonly commitWaiters = new Map<string, Set<() => void>>();

  /** Calls `wake` after this process's next commit that wrote to the run (run stream readers). */
  onCommit(runId: string, wake: () => void): () => void {
    let set = this.commitWaiters.get(runId);
    if (!set) this.commitWaiters.set(runId, (set = new Set()));
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0 && this.commitWaiters.get(runId) === set) this.commitWaiters.delete(runId);
    };
  }

  /** Whether any reader waits for a commit (the group committer asks before it lists a batch's runs). */
  wanted(): boolean {
    return this.commitWaiters.size > 0;
  }

  /** The group committer committed writes of these runs. */
  committed(runIds: Iterable<string>): void {
    if (this.commitWaiters.size === 0) return;
    for (const id of runIds) {
      const set = this.commitWaiters.get(id);
      if (set) for (const wake of [...set]) wake();
    }
  }

  has(runId: string): boolean {
    return this.listeners.has(runId);
  }

  emit(runId: string, type: WorkflowEventType | CustomEventType, payload: Record<string, unknown>): void {
    const set = this.listeners.get(runId);
    if (!set) return;
    const event: WorkflowEvent = { type, runId, from: 'WORKFLOW', payload };
    for (const l of set) l(event);
  }

  subscribe(runId: string, listener: Listener): () => void {
    let set = this.listeners.get(runId);
    if (!set) this.listeners.set(runId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(runId) === set) this.listeners.delete(runId);
    };
  }
}

/** A ReadableStream of one run's events that closes after `workflow-finish` (or when `close` is called). */
export function eventStream(
  hub: EventSource,
  runId: string,
): { stream: ReadableStream<WorkflowEvent> & AsyncIterable<WorkflowEvent>; close: () => void } {
  let unsubscribe: () => void = () => {};
  let controller!: ReadableStreamDefaultController<WorkflowEvent>;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    controller.close();
  };
  const stream = new ReadableStream<WorkflowEvent>({
    start(c) {
      controller = c;
      unsubscribe = hub.subscribe(runId, (e) => {
        if (closed) return;
        c.enqueue(e);
        if (e.type === 'workflow-finish') close();
      });
    },
    cancel() {
      closed = true;
      unsubscribe();
    },
  });
  return { stream: stream as ReadableStream<WorkflowEvent> & AsyncIterable<WorkflowEvent>, close };
}
