import pg from 'pg';

export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export function dbUrl(database) {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Drops and recreates `database` so every benchmark process starts from an empty store. */
export async function freshDatabase(database) {
  if (!/^[a-z0-9_]+$/.test(database)) throw new Error(`bad database name ${database}`);
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${database}`);
  } finally {
    await c.end();
  }
  return dbUrl(database);
}

export async function dropDatabase(database) {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}
