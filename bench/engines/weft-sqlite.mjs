import { runEngine } from '../lib/harness.mjs';
import { fileBytes, freshFile, removeFile } from '../lib/workdir.mjs';
import { weftAdapter } from './weft-common.mjs';

await runEngine({
  name: 'weft-sqlite',
  importSpecifier: new URL('../../dist/index.js', import.meta.url).href,
  file: new URL(import.meta.url).pathname,
  prepareStore: async ({ scenario }) => freshFile('weft-sqlite', scenario),
  cleanupStore: async (path) => removeFile(path),
  measureStore: async (path) => fileBytes(path),
  createAdapter: () => weftAdapter({ makeStore: (lib, path) => lib.sqliteStore({ path }) }),
});
