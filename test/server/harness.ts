import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Weft, sqliteStore, type AnyWorkflow, type Store } from '../../src/index.js';
import { serve, type ServerOptions, type WeftServer } from '../../src/server/index.js';
import { makeFixtures } from './fixtures.js';
import { waitUntil } from '../support/wait.js';

export interface Harness {
  weft: Weft;
  /** The engine's store, for tests that look at what was stored. */
  store: Store;
  server: WeftServer;
  url: string;
  dir: string;
  /** fetch against the server's /api with JSON helpers. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * A real engine served on 127.0.0.1 with a random port: on a real SQLite file in a temp dir, or on
 * `store` when given. `api()` sends `content-type: application/json` on every non-GET request, as the
 * typed client and the dashboard do (the server refuses state-changing requests without it).
 */
export async function startHarness(opts: ServerOptions & { workflows?: Record<string, AnyWorkflow>; store?: Store } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-http-'));
  const { workflows = makeFixtures(), store: given, ...serverOpts } = opts;
  const store = given ?? sqliteStore({ path: join(dir, 'weft.db') });
  const weft = new Weft({ workflows, store, onError: () => {} });
  const server = await serve(weft, { port: 0, onError: () => {}, ...serverOpts });
  const api: Harness['api'] = async (path, init = {}) => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    const method = (rest.method ?? 'GET').toUpperCase();
    if ((json !== undefined || (method !== 'GET' && method !== 'HEAD')) && !headers.has('content-type')) headers.set('content-type', 'application/json');
    const res = await fetch(`${server.url}/api/weft${path}`, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // keep text
    }
    return { status: res.status, body, headers: res.headers };
  };
  return {
    weft,
    store,
    server,
    url: server.url,
    dir,
    api,
    async close() {
      await server.close();
      await weft.stop({ timeoutMs: 2000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Reads `fn` until its value passes `ok` (waitUntil over a value and a predicate). */
export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const hit = await waitUntil(async () => {
    const v = await fn();
    return ok(v) ? { v } : null;
  }, { timeout: timeoutMs, interval: 25 });
  return hit.v;
}

/** Reads an SSE response into parsed messages until the server ends it. */
export async function readSse(res: Response): Promise<{ id?: string; event?: string; data: any }[]> {
  const text = await res.text();
  const out: { id?: string; event?: string; data: any }[] = [];
  for (const block of text.split('\n\n')) {
    let id: string | undefined;
    let event: string | undefined;
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trim();
    }
    if (data) out.push({ ...(id ? { id } : {}), ...(event ? { event } : {}), data: JSON.parse(data) });
  }
  return out;
}
