import pg from 'pg';

export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * A database name for this bench run: BENCH_DB_TAG (lower-case letters, digits, _) is appended so two
 * bench runs on one server (two checkouts) do not drop each other's databases.
 */
export function benchDb(base) {
  const tag = process.env.BENCH_DB_TAG;
  if (!tag) return base;
  if (!/^[a-z0-9_]{1,20}$/.test(tag)) throw new Error(`BENCH_DB_TAG must be 1-20 of [a-z0-9_], got ${tag}`);
  return `${base}_${tag}`;
}

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
  await noteEmptySize(database);
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

/** Bytes the database takes on disk, less what it took when it was created empty (see freshDatabase). */
export async function databaseBytes(database) {
  const c = new pg.Client({ connectionString: dbUrl(database) });
  await c.connect();
  try {
    await c.query('CHECKPOINT').catch(() => {});
    const { rows } = await c.query('SELECT pg_database_size(current_database())::bigint AS n');
    return Number(rows[0].n) - (emptySize.get(database) ?? 0);
  } finally {
    await c.end();
  }
}

const emptySize = new Map();

/** Records the size of the freshly created database, the baseline of databaseBytes. */
export async function noteEmptySize(database) {
  emptySize.set(database, 0);
  emptySize.set(database, await databaseBytes(database));
}
