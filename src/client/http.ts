import { WeftError, type ValidationIssue } from '../errors.js';

/**
 * An error returned by a weft server, rethrown with the server's code (`RUN_NOT_FOUND`,
 * `VALIDATION_FAILED`, ...) so callers branch on `err.code` exactly as they would in process.
 * `errors.js` is dependency-free, so importing it keeps the client browser-safe.
 */
export class WeftRemoteError extends WeftError {
  readonly status: number;
  readonly issues?: ValidationIssue[];
  constructor(code: string, message: string, status: number, issues?: ValidationIssue[]) {
    super(code, message);
    this.status = status;
    if (issues) this.issues = issues;
  }
}

export interface ClientOptions {
  /** Server address, e.g. http://127.0.0.1:4700 (with or without a trailing /api or /api/weft). */
  baseUrl: string;
  /** Bearer token, when the server requires one. */
  token?: string;
  /** fetch implementation; defaults to the global one. */
  fetch?: typeof fetch;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

export interface Transport {
  request<T>(method: string, path: string, body?: unknown, query?: Record<string, string | undefined>): Promise<T>;
  /** Opens a streaming GET (SSE); returns the raw response. */
  open(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response>;
}

async function errorFrom(res: Response): Promise<WeftRemoteError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; issues?: ValidationIssue[] } };
    const e = body.error;
    if (e && typeof e.code === 'string') return new WeftRemoteError(e.code, String(e.message ?? e.code), res.status, e.issues);
  } catch {
    // not a weft error body; fall through
  }
  return new WeftRemoteError(`HTTP_${res.status}`, `the server answered ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`, res.status);
}

export function createTransport(opts: ClientOptions): Transport {
  if (!opts || typeof opts.baseUrl !== 'string' || opts.baseUrl === '') throw new WeftError('INVALID_ARGUMENT', 'createClient needs a baseUrl');
  // weft's own API is under /api/weft (the server keeps /api for Mastra's protocol).
  const root = opts.baseUrl.replace(/\/+$/, '').replace(/\/api(\/weft)?$/, '') + '/api/weft';
  const doFetch = opts.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const baseHeaders = (): Record<string, string> => ({
    ...opts.headers,
    ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
  });
  const url = (path: string, query?: Record<string, string | undefined>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) q.set(k, v);
    const qs = q.toString();
    return `${root}${path}${qs ? `?${qs}` : ''}`;
  };

  return {
    async request<T>(method: string, path: string, body?: unknown, query?: Record<string, string | undefined>): Promise<T> {
      const headers = baseHeaders();
      let payload: string | undefined;
      if (body !== undefined) payload = JSON.stringify(body);
      // The server accepts state-changing requests only as application/json, body or not (a cross-site
      // page cannot send that type without a CORS preflight), so DELETE declares it too.
      if (body !== undefined || (method !== 'GET' && method !== 'HEAD')) headers['content-type'] = 'application/json';
      let res: Response;
      try {
        res = await doFetch(url(path, query), { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
      } catch (err) {
        throw new WeftError('SERVER_UNREACHABLE', `cannot reach the weft server at ${root}: ${(err as Error).message}`, { cause: err });
      }
      if (!res.ok) throw await errorFrom(res);
      return (await res.json()) as T;
    },
    async open(path, headers, signal) {
      const res = await doFetch(url(path), { headers: { ...baseHeaders(), accept: 'text/event-stream', ...headers }, signal });
      if (!res.ok) throw await errorFrom(res);
      return res;
    },
  };
}
