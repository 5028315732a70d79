import { createClient, type WeftClient } from '../client/index.js';
import { DEFAULT_DB_PATH } from '../domain/defaults.js';
import { str, type Values } from './args.js';

export const DEFAULT_URL = 'http://127.0.0.1:4700';

/** The server a remote command talks to: --url, else WEFT_URL, else the `weft dev` default. */
export function clientFrom(values: Values): WeftClient {
  const baseUrl = str(values, 'url') || process.env.WEFT_URL || DEFAULT_URL;
  const token = str(values, 'token') || process.env.WEFT_TOKEN;
  return createClient({ baseUrl, ...(token ? { token } : {}) });
}

export type StoreTarget = { kind: 'sqlite'; path: string; describe: string } | { kind: 'postgres'; url: string; describe: string };

/**
 * The store a local command opens: --database-url / WEFT_DATABASE_URL (PostgreSQL), else --db /
 * WEFT_DB (SQLite file). Only the choice: opening it is up to the command, which keeps the drivers
 * out of the commands that talk to a server.
 */
export function storeTarget(values: Values): StoreTarget {
  const url = str(values, 'database-url') || process.env.WEFT_DATABASE_URL;
  if (url) return { kind: 'postgres', url, describe: 'PostgreSQL database' };
  const path = str(values, 'db') || process.env.WEFT_DB || DEFAULT_DB_PATH;
  return { kind: 'sqlite', path, describe: `SQLite file ${path}` };
}
