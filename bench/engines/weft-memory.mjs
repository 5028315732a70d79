import { runEngine } from '../lib/harness.mjs';
import { weftAdapter } from './weft-common.mjs';

await runEngine({
  name: 'weft-memory',
  file: new URL(import.meta.url).pathname,
  prepareStore: async () => 'memory',
  createAdapter: () => weftAdapter({ makeStore: (lib) => lib.memoryStore() }),
});
