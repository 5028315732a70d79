import type { Context, MiddlewareHandler } from 'hono';
import { isJsonContentType } from './body.js';
import { ForbiddenOriginError, HostNotAllowedError, UnsupportedMediaTypeError } from './http-errors.js';
import { hostAllowed, type HostPolicy } from './hosts.js';

/**
 * The browser-facing checks in front of the API. A server on loopback without a token is only safe
 * if web pages the operator visits cannot drive it; three things stop them:
 *
 * - **Host** (all routes): a DNS-rebinding page (`http://attacker.example:4700`, its name now resolving
 *   to 127.0.0.1) is same-origin with the server in the browser's eyes, so Origin checks and CORS never
 *   apply to it; only the Host header it sends gives it away.
 * - **Origin** (/api): a page of another origin may still *send* requests (a form, a no-cors fetch);
 *   browsers label them with `Origin` (every non-GET, and CORS-mode GETs) or `Sec-Fetch-Site`.
 * - **Content type** (state-changing /api requests): only `application/json` is accepted, which a
 *   cross-origin page cannot send without a CORS preflight, which this server refuses unless the origin
 *   is in `corsOrigins`. It also covers old browsers that send neither Origin nor Sec-Fetch-Site.
 */

/** Refuses requests whose Host is not one this server answers to (421 HOST_NOT_ALLOWED). */
export function hostGuard(policy: HostPolicy): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('host');
    if (!hostAllowed(header, policy)) throw new HostNotAllowedError(header);
    await next();
  };
}

/** Whether `origin` is the origin of this very server, as reached by the request (its Host header). */
function isOwnOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // `null` (sandboxed frames, file: pages) and garbage
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.origin !== origin) return false;
  try {
    return new URL(`${url.protocol}//${host}`).host === url.host;
  } catch {
    return false;
  }
}

const CORS_METHODS = 'GET, POST, DELETE';
// The x-mastra-* headers are what Mastra Studio and @mastra/client-js send (Studio adds them to every
// call, GETs included, with a content-type), so a Studio on a corsOrigin passes its preflights.
const CORS_HEADERS = 'authorization, content-type, last-event-id, x-mastra-client-type, x-mastra-dev-playground';

function addVary(c: Context, header: string): void {
  const vary = c.res.headers.get('vary');
  if (!vary) c.res.headers.set('vary', header);
  else if (!vary.toLowerCase().split(/\s*,\s*/).includes(header)) c.res.headers.set('vary', `${vary}, ${header}`);
}

/**
 * Lets through requests of this server's own origin, of the `corsOrigins` (with CORS headers, and
 * preflights answered here, before the token check: browsers never send credentials on a preflight),
 * and of non-browser clients (no Origin, no Sec-Fetch-Site). Refuses the rest with 403 FORBIDDEN_ORIGIN.
 */
export function originGuard(corsOrigins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(corsOrigins);
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin === undefined) {
      // No Origin: a same-origin GET, a navigation, or a non-browser client. A browser still tells a
      // cross-origin no-cors GET (an <img>, <script> or fetch) apart with Sec-Fetch-Site.
      const site = c.req.header('sec-fetch-site');
      if (site === 'cross-site' || site === 'same-site') throw new ForbiddenOriginError(undefined);
      await next();
      return;
    }
    if (!allowed.has(origin)) {
      if (!isOwnOrigin(origin, c.req.header('host'))) throw new ForbiddenOriginError(origin);
      await next();
      return;
    }
    if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined) {
      const headers: Record<string, string> = {
        'access-control-allow-origin': origin,
        'access-control-allow-methods': CORS_METHODS,
        'access-control-allow-headers': CORS_HEADERS,
        'access-control-max-age': '600',
        // Studio fetches with `credentials: 'include'`, which browsers refuse unless the answer says
        // credentials are allowed (and names the origin, never `*`). weft sets no cookies; this only
        // matters behind a proxy that does, for the origins the operator listed.
        'access-control-allow-credentials': 'true',
        vary: 'origin',
      };
      // Chrome's Private Network Access: a public page calling a loopback server asks first.
      if (c.req.header('access-control-request-private-network') === 'true') headers['access-control-allow-private-network'] = 'true';
      return c.body(null, 204, headers);
    }
    await next();
    c.res.headers.set('access-control-allow-origin', origin);
    c.res.headers.set('access-control-allow-credentials', 'true');
    addVary(c, 'origin');
  };
}

/**
 * CORS on the server's root page for the `corsOrigins`: Mastra Studio fetches `GET /` of the server
 * it is pointed at to see that it is up, and reports the server unreachable when the browser hides
 * the answer. The page holds no data, and nothing is refused here (a link to the dashboard from
 * anywhere still opens it): other origins just get no CORS headers.
 */
export function rootCors(corsOrigins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(corsOrigins);
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin === undefined || !allowed.has(origin)) return next();
    const headers = { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'origin' };
    if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined) {
      return c.body(null, 204, { ...headers, 'access-control-allow-methods': 'GET', 'access-control-allow-headers': CORS_HEADERS, 'access-control-max-age': '600' });
    }
    await next();
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  };
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** State-changing requests must be `content-type: application/json`, whether or not they have a body. */
export function jsonOnly(): MiddlewareHandler {
  return async (c, next) => {
    if (UNSAFE_METHODS.has(c.req.method) && !isJsonContentType(c.req.header('content-type'))) throw new UnsupportedMediaTypeError();
    await next();
  };
}

/**
 * The content-type rule for Mastra's protocol: @mastra/client-js sends `POST .../cancel`, `POST
 * .../observe` and `DELETE .../runs/:runId` without a body and without a content-type, so such a
 * request is accepted when it really has no body. Anything with a body, or with another declared
 * type (an HTML form, text/plain), must be application/json. A browser page of another origin that
 * sends a body-less POST still carries an Origin header, which `originGuard` checks before this.
 */
export function jsonOrEmpty(): MiddlewareHandler {
  return async (c, next) => {
    if (UNSAFE_METHODS.has(c.req.method) && !isJsonContentType(c.req.header('content-type'))) {
      const length = c.req.header('content-length');
      const bodiless = c.req.header('content-type') === undefined && c.req.header('transfer-encoding') === undefined && (length === undefined || length === '0');
      if (!bodiless) throw new UnsupportedMediaTypeError();
    }
    await next();
  };
}

/**
 * Headers on every /api response, errors included: responses are JSON (or SSE) and must never be
 * sniffed as something else, nor kept by a browser or proxy cache (they hold run data, and may have
 * been fetched with a token). When CORS is configured a response depends on the Origin, so say so.
 */
export function apiHeaders(corsConfigured: boolean): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.res.headers.set('x-content-type-options', 'nosniff');
    c.res.headers.set('cache-control', 'no-store');
    if (corsConfigured) addVary(c, 'origin');
  };
}
