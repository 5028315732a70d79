import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

/**
 * Owner ids name the host and pid so that a process on the same host can tell, without waiting for a
 * lease to expire, that the owner of a run is gone (its pid no longer exists).
 */
export function newOwnerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

export function isDeadLocalOwner(owner: string, self: string): boolean {
  if (owner === self) return false;
  const [host, pidText] = owner.split(':');
  if (host !== hostname() || !pidText) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  // Same pid, different token: an earlier Weft in this very process; its runs are not ours to steal.
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
