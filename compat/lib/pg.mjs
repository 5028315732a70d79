/**
 * A PostgreSQL database of its own for one compat run, created and dropped by the test. `weft serve`
 * keeps its tables in the store's default schema (`weft`) and the CLI has no option to choose
 * another one, so a separate database is what keeps this run away from anything else on the server.
 */
import pg from 'pg';

const ADMIN = process.env.WEFT_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export async function createDatabase() {
  const name = `weft_compat_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
