import { createHash } from 'node:crypto';
import { graphShape } from '../define/graph-shape.js';
import type { AnyWorkflow } from '../define/workflow.js';

/**
 * A workflow's graph fingerprint: `<version>:<hash>` (or `<hash>` without a version), the hash being
 * the first 16 hex digits of the SHA-256 of its graph shape (define/graph-shape.ts). Stored with every
 * run when it starts, so `weft check` and the workers know which definition a run's journal was
 * written by: a run whose fingerprint is the current one fits it by construction, and only the others
 * need their journal compared.
 */
const cache = new WeakMap<AnyWorkflow, string>();

export function fingerprintOf(wf: AnyWorkflow): string {
  let fp = cache.get(wf);
  if (fp === undefined) {
    const hash = createHash('sha256').update(JSON.stringify(graphShape(wf))).digest('hex').slice(0, 16);
    fp = wf.version === undefined ? hash : `${wf.version}:${hash}`;
    cache.set(wf, fp);
  }
  return fp;
}

/** The version part of a stored fingerprint, or null (none declared, or a run from before fingerprints). */
export function versionOfFingerprint(fp: string | null): string | null {
  if (fp === null) return null;
  const i = fp.lastIndexOf(':');
  return i < 0 ? null : fp.slice(0, i);
}
