import type { Store } from '../store/types.js';
import { parseStreamId, readRunStream, type RunStreamEvent, type RunStreamPage } from './stream-reader.js';

export interface FollowOptions {
  /** Continue after this event id (from an earlier read); absent: from the start of the run. */
  after?: string | null;
  /** Stops following (the generator returns). */
  signal?: AbortSignal;
  /**
   * How often the store is read while nothing wakes the reader, in ms (runs executed by other
   * processes; this process's commits wake it at once). Default 250.
   */
  pollMs?: number;
}

export interface FollowSource {
  store: Store;
  /** Wakes the reader after this process commits writes of the run. */
  onCommit(runId: string, wake: () => void): () => void;
}

/**
 * Follows a run's durable stream (stream-reader.ts) from `after`: yields every event once, in order,
 * and returns after the run's latest state is settled (its workflow-finish was yielded, or had been
 * read before `after`), when the run is deleted, or when `signal` aborts.
 */
export async function* followRunStream(src: FollowSource, runId: string, opts: FollowOptions = {}): AsyncGenerator<RunStreamEvent> {
  for await (const page of followStreamPages(src, runId, opts)) yield* page.events;
}

/**
 * The reading loop under followRunStream: yields each page read (events after the last one yielded),
 * reading again at once when more is stored or this process committed writes of the run, otherwise
 * after `pollMs`. Returns once a page says the run is gone, or settled (unless `throughSuspensions`:
 * a reader of the whole run goes on reading through a suspension until it stops), or on `signal`.
 */
export async function* followStreamPages(
  src: FollowSource,
  runId: string,
  opts: FollowOptions & { throughSuspensions?: boolean } = {},
): AsyncGenerator<RunStreamPage> {
  let last = opts.after ?? null;
  parseStreamId(last);
  const pollMs = opts.pollMs ?? 250;
  for (;;) {
    if (opts.signal?.aborted) return;
    // Subscribed before reading, so a commit that lands during the read still wakes the next wait.
    let woken = false;
    let wake: () => void = () => {
      woken = true;
    };
    const off = src.onCommit(runId, () => wake());
    try {
      const page = await readRunStream(src.store, runId, last);
      if (opts.signal?.aborted) return;
      last = page.events.at(-1)?.id ?? last;
      yield page;
      if (page.gone || (page.settled && !opts.throughSuspensions)) return;
      if (page.more || woken) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, pollMs);
        wake = done;
        opts.signal?.addEventListener('abort', done, { once: true });
      });
    } finally {
      off();
    }
  }
}
