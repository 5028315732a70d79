import { runEngine } from '../lib/harness.mjs';
import { benchDb, databaseBytes, freshDatabase, dropDatabase } from '../lib/pg.mjs';
import { weftAdapter } from './weft-common.mjs';
import { openInsertFloor } from '../lib/pg-floor.mjs';

const DB = benchDb('weft_bench_weft');

await runEngine({
  name: 'weft-postgres',
  importSpecifier: new URL('../../dist/index.js', import.meta.url).href,
  file: new URL(import.meta.url).pathname,
  prepareStore: async () => freshDatabase(DB),
  cleanupStore: async () => dropDatabase(DB),
  measureStore: async () => databaseBytes(DB),
  createAdapter: () =>
    weftAdapter({ makeStore: (lib, connectionString) => lib.postgresStore({ connectionString, schema: 'weft' }), openInsertFloor }),
});
