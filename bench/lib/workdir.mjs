import { mkdirSync, rmSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const WORK_DIR = process.env.BENCH_TMP ?? join(tmpdir(), 'weft-bench');

/** A fresh file path for an embedded database (SQLite/LibSQL) of one benchmark process. */
export function freshFile(engine, scenario, ext = 'db') {
  mkdirSync(WORK_DIR, { recursive: true });
  const path = join(WORK_DIR, `${engine}-${scenario}-${process.pid}.${ext}`);
  removeFile(path);
  return path;
}

/** Removes a database file and its -wal/-shm/-journal companions. */
export function removeFile(path) {
  const dir = join(path, '..');
  const base = path.slice(dir.length + 1);
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n === base || n.startsWith(base + '-')) rmSync(join(dir, n), { force: true });
}

/** Bytes of a database file and its -wal/-shm/-journal companions. */
export function fileBytes(path) {
  const dir = join(path, '..');
  const base = path.slice(dir.length + 1);
  let total = 0;
  for (const n of readdirSync(dir)) if (n === base || n.startsWith(base + '-')) total += statSync(join(dir, n)).size;
  return total;
}
