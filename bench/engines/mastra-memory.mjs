import { InMemoryStore } from '@mastra/core/storage';
import { runEngine } from '../lib/harness.mjs';
import { mastraAdapter } from './mastra-common.mjs';

await runEngine({
  name: 'mastra-memory',
  importSpecifier: '@mastra/core/workflows',
  file: new URL(import.meta.url).pathname,
  prepareStore: async () => 'memory',
  createAdapter: () => mastraAdapter({ makeStorage: async () => new InMemoryStore({ id: 'bench' }) }),
});
