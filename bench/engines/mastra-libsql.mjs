import { LibSQLStore } from '@mastra/libsql';
import { runEngine } from '../lib/harness.mjs';
import { fileBytes, freshFile, removeFile } from '../lib/workdir.mjs';
import { mastraAdapter } from './mastra-common.mjs';

await runEngine({
  name: 'mastra-libsql',
  importSpecifier: '@mastra/core/workflows',
  file: new URL(import.meta.url).pathname,
  prepareStore: async ({ scenario }) => freshFile('mastra-libsql', scenario),
  cleanupStore: async (path) => removeFile(path),
  measureStore: async (path) => fileBytes(path),
  createAdapter: () =>
    mastraAdapter({ makeStorage: async (path) => new LibSQLStore({ id: 'bench', url: `file:${path}` }) }),
});
