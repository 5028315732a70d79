import { runEngine } from '../lib/harness.mjs';
import { weftAdapter } from './weft-common.mjs';

await runEngine({
  name: 'weft-memory',
  importSpecifier: new URL('../../dist/index.js', import.meta.url).href,
  file: new URL(import.meta.url).pathname,
  prepareStore: async () => 'memory',
  createAdapter: () => weftAdapter({ makeStore: (lib) => lib.memoryStore() }),
});
