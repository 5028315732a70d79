/** Host names and addresses: which Hosts a server answers to (see request-guard.ts for why). */

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Whether a bind address is a loopback interface. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Splits a Host header (or an allowedHosts entry) into a lower-case hostname and an optional port; null if malformed. */
export function parseHostHeader(value: string): { hostname: string; port: string | undefined } | null {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!m?.[1]) return null;
  let hostname: string;
  try {
    // The URL parser canonicalises the forms a name or address can take (`127.1`, `[0:0::1]`, upper case).
    hostname = new URL(`http://${m[1]}`).hostname;
  } catch {
    return null;
  }
  if (m[2] === undefined) return { hostname, port: undefined };
  const port = Number(m[2]);
  return port <= 65535 ? { hostname, port: String(port) } : null;
}

/** Names a loopback-bound server always answers to: only pages served from this machine carry them. */
function isLoopbackName(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

export interface HostPolicy {
  /** The bound interface (ServerOptions.host). */
  bind: string;
  /** Normalised allowedHosts entries: `*`, `name` (any port) or `name:port`. */
  allowedHosts: readonly string[];
}

export function hostAllowed(header: string | undefined, policy: HostPolicy): boolean {
  if (policy.allowedHosts.includes('*')) return true;
  // Off loopback a token is required, and a token is what protects the server there; Host checking is
  // then opt-in (allowedHosts), since the names such a server is reached by are not known in advance.
  if (!isLoopback(policy.bind) && policy.allowedHosts.length === 0) return true;
  if (header === undefined) return false;
  const host = parseHostHeader(header);
  if (!host) return false;
  if (isLoopbackName(host.hostname)) return true;
  return policy.allowedHosts.some((entry) => entry === host.hostname || (host.port !== undefined && entry === `${host.hostname}:${host.port}`));
}

