import { WeftError } from '../errors.js';
import { isLoopback, parseHostHeader } from './hosts.js';

export { isLoopback };

export interface ServerOptions {
  /** Interface to bind. Default 127.0.0.1; any other address requires `token`. */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 4700. */
  port?: number;
  /** When set, every /api request must send `Authorization: Bearer <token>`. */
  token?: string;
  /**
   * Host names (optionally `name:port`) the server answers to, besides `localhost`, `127.0.0.0/8` and
   * `[::1]` (always served). On a loopback bind other Hosts get 421 HOST_NOT_ALLOWED (DNS-rebinding
   * protection); on any other bind the Host is checked only when this is set. `*` turns the check off.
   */
  allowedHosts?: string[];
  /**
   * Origins (`https://studio.example.com`, exact) whose pages may call /api from the browser: they get
   * CORS headers and preflights are answered. Default none: every other origin gets 403 FORBIDDEN_ORIGIN.
   * The token, when set, is still required.
   */
  corsOrigins?: string[];
  /** Largest request body accepted, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Where Mastra's HTTP protocol (the routes @mastra/client-js and Mastra Studio call) is served:
   * a path prefix, default `/api` (Mastra's own default), or `false` to turn it off. weft's own API
   * is always at `/api/weft`, which no Mastra route uses. See docs/api.md, "Mastra's protocol".
   */
  mastraApiPrefix?: string | false;
  /** Serve the dashboard at `/`. Default true. */
  dashboard?: boolean;
  /** Events kept per run by the in-memory feed of Mastra's stream routes (the SSE route reads the store). Default 2000. */
  eventBufferSize?: number;
  /** Runs whose events are kept in memory at once (idle ones are dropped first). Default 1000. */
  maxEventFeeds?: number;
  /** How often the store is read for a streamed run executed by another process, in ms. Default 500. */
  eventPollMs?: number;
  /** SSE keep-alive comment interval, in ms. Default 15000. */
  heartbeatMs?: number;
  /** Called with unexpected (500) errors. Default: console.error. */
  onError?: (err: unknown) => void;
}

export type ResolvedServerOptions = Required<Omit<ServerOptions, 'token'>> & { token: string | undefined };

/** Where weft's own API lives (the typed client, the CLI and the dashboard call it there). */
export const WEFT_API_PREFIX = '/api/weft';

/**
 * A Mastra prefix is a path of plain segments (`/api`, `/mastra/api`). It may not be `/` (it would
 * swallow the dashboard) nor lie inside weft's own API; `/api` itself is fine, because weft's routes
 * are registered first and no Mastra route starts with `/weft`.
 */
function normaliseMastraPrefix(value: unknown): string | false {
  if (value === undefined) return '/api';
  if (value === false) return false;
  const ok = typeof value === 'string' && /^(\/[A-Za-z0-9._~-]+)+\/?$/.test(value);
  const prefix = ok ? value.replace(/\/$/, '') : '';
  if (!ok || prefix === WEFT_API_PREFIX || prefix.startsWith(`${WEFT_API_PREFIX}/`)) {
    throw new WeftError('INVALID_ARGUMENT', `mastraApiPrefix: "${String(value)}" must be a path such as /api (not /, not under ${WEFT_API_PREFIX}), or false`);
  }
  return prefix;
}

function normaliseAllowedHost(entry: unknown): string {
  if (entry === '*') return '*';
  const host = typeof entry === 'string' ? parseHostHeader(entry) : null;
  if (!host) throw new WeftError('INVALID_ARGUMENT', `allowedHosts: "${String(entry)}" is not a host name, an address or name:port`);
  return host.port === undefined ? host.hostname : `${host.hostname}:${host.port}`;
}

function normaliseCorsOrigin(entry: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof entry === 'string' ? new URL(entry) : undefined;
  } catch {
    url = undefined;
  }
  // Exact origins only: a wildcard would hand every web page the API (and `null` every sandboxed one).
  const ok =
    url !== undefined &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.pathname === '/' &&
    !url.search &&
    !url.hash &&
    !url.username &&
    !url.password &&
    !String(entry).includes('*');
  if (!ok) throw new WeftError('INVALID_ARGUMENT', `corsOrigins: "${String(entry)}" is not an origin (scheme://host[:port], no path, no wildcard)`);
  return url!.origin;
}

function list<T>(value: unknown, name: string, each: (v: unknown) => T): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new WeftError('INVALID_ARGUMENT', `${name} must be an array of strings`);
  return [...new Set(value.map(each))];
}

export const DEFAULT_PORT = 4700;
export function resolveOptions(opts: ServerOptions = {}): ResolvedServerOptions {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token === '' ? undefined : opts.token;
  if (!isLoopback(host) && !token) {
    throw new WeftError(
      'TOKEN_REQUIRED',
      `refusing to bind the weft server to "${host}" without a token: anyone who can reach it could start and cancel runs. Pass a token (--token or WEFT_TOKEN), or bind 127.0.0.1`,
    );
  }
  const port = opts.port ?? DEFAULT_PORT;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new WeftError('INVALID_ARGUMENT', 'port must be an integer from 0 to 65535');
  const positive = (v: number | undefined, d: number, name: string) => {
    const n = v ?? d;
    if (!(Number.isFinite(n) && n > 0)) throw new WeftError('INVALID_ARGUMENT', `${name} must be a positive number`);
    return n;
  };
  return {
    host,
    port,
    token,
    allowedHosts: list(opts.allowedHosts, 'allowedHosts', normaliseAllowedHost),
    corsOrigins: list(opts.corsOrigins, 'corsOrigins', normaliseCorsOrigin),
    maxBodyBytes: positive(opts.maxBodyBytes, 1024 * 1024, 'maxBodyBytes'),
    mastraApiPrefix: normaliseMastraPrefix(opts.mastraApiPrefix),
    dashboard: opts.dashboard ?? true,
    eventBufferSize: positive(opts.eventBufferSize, 2000, 'eventBufferSize'),
    maxEventFeeds: positive(opts.maxEventFeeds, 1000, 'maxEventFeeds'),
    eventPollMs: positive(opts.eventPollMs, 500, 'eventPollMs'),
    heartbeatMs: positive(opts.heartbeatMs, 15_000, 'heartbeatMs'),
    onError: opts.onError ?? ((err) => console.error('[weft server]', err)),
  };
}
