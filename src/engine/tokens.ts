import { createHash, randomBytes } from 'node:crypto';
import { durationMs, TOKEN_EVENT } from '../define/events.js';
export { TOKEN_EVENT };
import { InvalidArgumentError, TokenExpiredError, TokenNotFoundError, TokenUsedError } from '../errors.js';
import type { Store } from '../store/types.js';

/**
 * Completion tokens: a step creates a one-use token (`ctx.createToken`) whose URL completes the run's
 * `.waitForToken` with a JSON body, for third-party webhooks and approval links. Built on events: the
 * token's record is an event `weft.token.issued` (id `token-record:<sha256>`) sent to the run, and a
 * completion is the event `weft.token` (id `token:<sha256>`) sent to the run. The store's unique event
 * id makes a token work once, even with two completions racing; only the token's hash is stored.
 */
const ISSUED = 'weft.token.issued';
const DEFAULT_TIMEOUT_MS = 7 * 86_400_000;

export interface CreatedToken {
  token: string;
  /** The path that completes it: POST it (a JSON body) to the weft server. */
  url: string;
  expiresAt: Date;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/** How long stored events are kept: see WeftOptions.events. */
export interface EventLifetimes {
  windowMs: number;
  keepMs: number;
}

/**
 * When retention may delete an event sent now: once no wait can take it any more (a wait takes events
 * sent up to windowMs before it began) and its id has been kept keepMs for idempotent resends.
 */
export function eventExpiresAt(now: number, l: EventLifetimes): number {
  // Infinity (keep forever) as the latest time a Date can hold, which no pass ever reaches.
  return Math.min(now + Math.max(l.windowMs, l.keepMs), LATEST_MS);
}

const LATEST_MS = 8.64e15;

/**
 * Issues a token for a run: stored (as its hash) before it is returned, so the URL works at once. Its
 * record is kept `keepMs` past the expiry, so a late completion hears TOKEN_EXPIRED before TOKEN_NOT_FOUND.
 */
export async function createToken(store: Store, runId: string, opts: unknown, now: number, keepMs: number): Promise<CreatedToken> {
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw new InvalidArgumentError('createToken options must be an object');
  const o = (opts ?? {}) as { timeout?: number | string };
  const ms = o.timeout === undefined ? DEFAULT_TIMEOUT_MS : durationMs(o.timeout);
  if (ms === undefined) throw new InvalidArgumentError("createToken timeout must be ms or a duration such as '15m' or '48h'");
  const token = randomBytes(32).toString('base64url');
  const expiresAt = now + ms;
  if (!store.sendEvent) throw new InvalidArgumentError(`the ${store.kind} store does not support events`);
  await store.sendEvent({ event: { id: `token-record:${hash(token)}`, name: ISSUED, key: null, runId, data: JSON.stringify({ expiresAt }), now, expiresAt: Math.min(expiresAt + keepMs, LATEST_MS) } });
  return { token, url: `/api/weft/tokens/${token}`, expiresAt: new Date(expiresAt) };
}

/** A live token's run (TOKEN_NOT_FOUND / TOKEN_EXPIRED / TOKEN_USED otherwise); nothing is written. */
export async function findToken(store: Store, token: unknown, now: number): Promise<{ hash: string; runId: string }> {
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) throw new TokenNotFoundError();
  const h = hash(token);
  const record = await store.loadEvent?.(`token-record:${h}`);
  if (!record?.runId) throw new TokenNotFoundError();
  const { expiresAt } = JSON.parse(record.data ?? '{}') as { expiresAt?: number };
  if (expiresAt === undefined || now >= expiresAt) throw new TokenExpiredError();
  if (await store.loadEvent?.(`token:${h}`)) throw new TokenUsedError();
  return { hash: h, runId: record.runId };
}

/** Completes a token found by findToken: its run's `.waitForToken` gets `data` (JSON text). Once. */
export async function useToken(
  store: Store,
  found: { hash: string; runId: string },
  data: string | null,
  now: number,
  lifetimes: EventLifetimes,
): Promise<{ runId: string; delivered: boolean }> {
  const event = { id: `token:${found.hash}`, name: TOKEN_EVENT, key: null, runId: found.runId, data, now, expiresAt: eventExpiresAt(now, lifetimes) };
  const res = await store.sendEvent!({ event });
  if (!res.created) throw new TokenUsedError();
  return { runId: found.runId, delivered: res.delivered.length > 0 };
}
