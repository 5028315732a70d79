/**
 * How many callers are settled, or claimed runs launched, per event-loop turn. Each of them goes on at
 * once (a run's next step executes and queues its write), all in the turn that starts it: 200 at once
 * kept the loop busy for milliseconds, and a start's acknowledgement that had arrived meanwhile waited
 * behind them (scenario c's p99). Between slices the loop polls I/O.
 */
export const EVENT_LOOP_SLICE = 32;

/** Calls `each` on every item in order, yielding to the event loop after every EVENT_LOOP_SLICE of them. */
export async function inSlices<T>(items: readonly T[], each: (item: T, index: number) => void): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % EVENT_LOOP_SLICE === 0) await new Promise<void>((r) => setImmediate(r));
    each(items[i]!, i);
  }
}
