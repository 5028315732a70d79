import { WeftError } from '../errors.js';

export interface ServerOptions {
  /** Interface to bind. Default 127.0.0.1; any other address requires `token`. */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 4700. */
  port?: number;
  /** When set, every /api request must send `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest request body accepted, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Serve the dashboard at `/`. Default true. */
  dashboard?: boolean;
  /** Events kept per run for SSE replay (Last-Event-ID). Default 2000. */
  eventBufferSize?: number;
  /** Runs whose events are kept in memory at once (idle ones are dropped first). Default 1000. */
  maxEventFeeds?: number;
  /** How often the store is read for a streamed run executed elsewhere, in ms. Default 500. */
  eventPollMs?: number;
  /** SSE keep-alive comment interval, in ms. Default 15000. */
  heartbeatMs?: number;
  /** Called with unexpected (500) errors. Default: console.error. */
  onError?: (err: unknown) => void;
}

export type ResolvedServerOptions = Required<Omit<ServerOptions, 'token'>> & { token: string | undefined };

export const DEFAULT_PORT = 4700;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

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
    maxBodyBytes: positive(opts.maxBodyBytes, 1024 * 1024, 'maxBodyBytes'),
    dashboard: opts.dashboard ?? true,
    eventBufferSize: positive(opts.eventBufferSize, 2000, 'eventBufferSize'),
    maxEventFeeds: positive(opts.maxEventFeeds, 1000, 'maxEventFeeds'),
    eventPollMs: positive(opts.eventPollMs, 500, 'eventPollMs'),
    heartbeatMs: positive(opts.heartbeatMs, 15_000, 'heartbeatMs'),
    onError: opts.onError ?? ((err) => console.error('[weft server]', err)),
  };
}
