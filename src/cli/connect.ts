import { createClient, type WeftClient } from '../client/index.js';
import { postgresStore, sqliteStore, type Store } from '../index.js';
import { str } from './args.js';

export const DEFAULT_URL = 'http://127.0.0.1:4700';
export const DEFAULT_DB = '.weft/weft.db';

/** The server a remote command talks to: --url, else WEFT_URL, else the `weft dev` default. */
export function clientFrom(values: Record<string, unknown>): WeftClient {
  const baseUrl = str(values, 'url') ?? process.env.WEFT_URL ?? DEFAULT_URL;
  const token = str(values, 'token') ?? process.env.WEFT_TOKEN;
  return createClient({ baseUrl, ...(token ? { token } : {}) });
}

/** The store a local command opens: --database-url / WEFT_DATABASE_URL (PostgreSQL), else --db (SQLite file). */
export function storeFrom(values: Record<string, unknown>): { store: Store; describe: string } {
  const url = str(values, 'database-url') ?? process.env.WEFT_DATABASE_URL;
  if (url) return { store: postgresStore({ connectionString: url }), describe: 'PostgreSQL database' };
  const path = str(values, 'db') ?? process.env.WEFT_DB ?? DEFAULT_DB;
  return { store: sqliteStore({ path }), describe: `SQLite file ${path}` };
}
