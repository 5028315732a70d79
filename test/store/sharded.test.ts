import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { sqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { shardedStore } from '../../src/store/sharded/sharded-store.js';
import { hashKey, type ShardBy } from '../../src/store/sharded/routing.js';
import { storeContract } from './contract.js';
import { setRunIdMaker, uid } from './contract-helpers.js';

/** Which of the two shards holds a run id (the router's rule). */
const hashShard = (runId: string): number => hashKey(runId) % 2;

const root = mkdtempSync(join(tmpdir(), 'weft-sharded-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function twoSqlite(by: ShardBy) {
  const dir = join(root, `set-${++n}`);
  const store = shardedStore([sqliteStore({ path: join(dir, 'a.db') }), sqliteStore({ path: join(dir, 'b.db') })], { by });
  return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

storeContract('sharded: 2 sqlite, by runId', async () => {
  setRunIdMaker(null);
  return twoSqlite('runId');
}, { spread: true, shards: { count: 2, of: hashShard } });

storeContract('sharded: 2 sqlite, by workflow', async () => {
  const made = twoSqlite('workflow');
  const router = made.store.router;
  // The ids a by-workflow router gives its engine: each routes to its workflow's shard.
  setRunIdMaker((workflowId) => {
    for (;;) {
      const id = uid();
      if (router.ofRun(id) === router.homeOf(workflowId)) return id;
    }
  });
  return made;
}, { shards: { count: 2, of: hashShard } });
