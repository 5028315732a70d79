import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll } from 'vitest';
import { PG_URL } from '../store/pg-helpers.js';

/**
 * Scratch space for a crash test file whose cases each run processes on a SQLite file or a PostgreSQL
 * schema of their own: directories and schemas made through it are removed after the file's tests,
 * whether they passed or not. Call it inside the file's `describe`.
 */
export function useCrashScratch(prefix: string): { dir(): string; schema(name: string): Promise<string> } {
  const dirs: string[] = [];
  const schemas: string[] = [];
  const admin = new pg.Pool({ connectionString: PG_URL });
  afterAll(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await admin.end();
  });
  return {
    /** A new empty directory. */
    dir() {
      const d = mkdtempSync(join(tmpdir(), `${prefix}-`));
      dirs.push(d);
      return d;
    },
    /** `name` as an empty schema: dropped now if a failed earlier run left it, and after the file. */
    async schema(name) {
      schemas.push(name);
      await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      return name;
    },
  };
}
