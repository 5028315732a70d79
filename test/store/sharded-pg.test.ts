import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { postgresStore } from '../../src/store/postgres/postgres-store.js';
import { shardedStore } from '../../src/store/sharded/sharded-store.js';
import { hashKey, type ShardBy } from '../../src/store/sharded/routing.js';
import { storeContract } from './contract.js';
import { setRunIdMaker, uid } from './contract-helpers.js';
import { PG_URL, schemaFactory } from './pg-helpers.js';
import { followCallerClock } from './pg-test-clock.js';

/** Which of the two shards holds a run id (the router's rule). */
const hashShard = (runId: string): number => hashKey(runId) % 2;

/**
 * The contract on a sharded store of two PostgreSQL shards in two databases (`test` and a second one
 * this file creates when missing), as two servers would be: separate connections, separate clocks
 * (each follows the caller's here, see pg-test-clock.ts).
 */
const SECOND_DB = 'weft_shard_b';
const secondUrl = PG_URL.replace(/\/[^/?]*(\?|$)/, `/${SECOND_DB}$1`);
const schemas = schemaFactory('shd');
const admins = [new pg.Pool({ connectionString: PG_URL, max: 2 }), new pg.Pool({ connectionString: secondUrl, max: 2 })];

beforeAll(async () => {
  const root = new pg.Pool({ connectionString: PG_URL, max: 1 });
  try {
    await root.query(`CREATE DATABASE ${SECOND_DB}`);
  } catch (err) {
    // 42P04: it exists (an earlier run, or another test file at the same time).
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await root.end();
  }
});

afterAll(async () => {
  for (const a of admins) await schemas.dropAll(a);
  await Promise.all(admins.map((a) => a.end()));
});

function twoPostgres(by: ShardBy) {
  const shardSchema = schemas.next();
  const urls = [PG_URL, secondUrl];
  const store = shardedStore(
    urls.map((connectionString, i) => followCallerClock(postgresStore({ connectionString, schema: shardSchema }), admins[i]!, shardSchema)),
    { by },
  );
  const cleanup = async () => {
    for (const a of admins) await a.query(`DROP SCHEMA IF EXISTS "${shardSchema}" CASCADE`);
  };
  return { store, cleanup };
}

storeContract(
  'sharded: 2 postgres databases, by runId',
  async () => {
    setRunIdMaker(null);
    return twoPostgres('runId');
  },
  { spread: true, shards: { count: 2, of: hashShard } },
);

storeContract('sharded: 2 postgres databases, by workflow', async () => {
  const made = twoPostgres('workflow');
  const router = made.store.router;
  setRunIdMaker((workflowId) => {
    for (;;) {
      const id = uid();
      if (router.ofRun(id) === router.homeOf(workflowId)) return id;
    }
  });
  return made;
}, { shards: { count: 2, of: hashShard } });
