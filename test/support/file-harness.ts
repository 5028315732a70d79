import { afterAll, beforeAll } from 'vitest';
import { startHarness, type Harness } from '../server/harness.js';
import { live } from './live.js';

export type HarnessOptions = NonNullable<Parameters<typeof startHarness>[0]>;

/**
 * One in-process server (startHarness) for a test file: started before its tests, closed after them
 * even when a test failed. `options` may be a function, for options known only once an earlier
 * beforeAll has run (e.g. the port of another server).
 */
export function useHarness(options: HarnessOptions | (() => HarnessOptions) = {}): Harness {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await startHarness(typeof options === 'function' ? options() : options);
  });
  afterAll(async () => {
    await h?.close();
    h = undefined;
  });
  return live(() => h, 'the harness');
}
