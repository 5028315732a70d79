import { runEngine } from '../lib/harness.mjs';
import { databaseBytes, freshDatabase, dropDatabase } from '../lib/pg.mjs';
import { weftAdapter } from './weft-common.mjs';

const DB = 'weft_bench_weft';

await runEngine({
  name: 'weft-postgres',
  file: new URL(import.meta.url).pathname,
  prepareStore: async () => freshDatabase(DB),
  cleanupStore: async () => dropDatabase(DB),
  measureStore: async () => databaseBytes(DB),
  createAdapter: () =>
    weftAdapter({ makeStore: (lib, connectionString) => lib.postgresStore({ connectionString, schema: 'weft' }) }),
});
