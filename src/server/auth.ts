import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './http-errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Requires `Authorization: Bearer <token>`; compares digests in constant time. */
export function bearerAuth(token: string): MiddlewareHandler {
  const expected = digest(token);
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match?.[1]) throw new HttpError('UNAUTHORIZED', 'this server requires a bearer token (Authorization: Bearer <token>)');
    if (!timingSafeEqual(digest(match[1].trim()), expected)) throw new HttpError('UNAUTHORIZED', 'the bearer token is not valid');
    await next();
  };
}
