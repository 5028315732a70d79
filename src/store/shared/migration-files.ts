import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StoreError } from '../../errors.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_-]+)\.sql$/i;
const cache = new Map<Dialect, Migration[]>();

/**
 * The migrations directory lives at the package root. This module sits at src/store/shared/ under
 * vitest and at dist/store/shared/ after a build, so three levels up is the package root in both.
 */
export function migrationsDir(dialect: Dialect): string {
  return fileURLToPath(new URL(`../../../migrations/${dialect}/`, import.meta.url));
}

/** Every migration of a dialect, in version order. Read once per process. */
export function loadMigrations(dialect: Dialect): Migration[] {
  const cached = cache.get(dialect);
  if (cached) return cached;
  const dir = migrationsDir(dialect);
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch (err) {
    throw new StoreError(`weft's ${dialect} migrations were not found at ${dir}`, { cause: err, code: 'STORE_MIGRATION' });
  }
  const out: Migration[] = [];
  for (const file of files.sort()) {
    const m = FILE_PATTERN.exec(file);
    if (!m) continue;
    out.push({ version: Number(m[1]), name: m[2] ?? file, sql: readFileSync(dir + file, 'utf8') });
  }
  // Versions only have to increase: numbers are handed out to parallel branches of work ahead of
  // time, so a checkout may hold 0014 before 0009-0013 exist. Each version is applied once, in order.
  out.forEach((m, i) => {
    const prev = i === 0 ? 0 : out[i - 1]!.version;
    if (!(m.version > prev)) {
      throw new StoreError(`${dialect} migrations must have increasing version numbers (found ${m.version} after ${prev})`, {
        code: 'STORE_MIGRATION',
      });
    }
  });
  cache.set(dialect, out);
  return out;
}

/** Which migrations still have to run, failing clearly when the database is newer than this code. */
export function pendingMigrations(dialect: Dialect, applied: number[], to?: number): Migration[] {
  const all = loadMigrations(dialect);
  const known = all.at(-1)?.version ?? 0;
  const newest = applied.length ? Math.max(...applied) : 0;
  if (newest > known) {
    throw new StoreError(
      `the ${dialect} database was migrated by a newer weft (schema version ${newest}); this version knows up to ${known}`,
      { code: 'STORE_VERSION' },
    );
  }
  const done = new Set(applied);
  const limit = to ?? known;
  return all.filter((m) => !done.has(m.version) && m.version <= limit);
}
