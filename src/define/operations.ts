import { WorkflowDefinitionError } from '../errors.js';
import { durationMs } from '../domain/durations.js';
import { idProblem } from '../domain/ids.js';

/**
 * Day-2 operations declared on a workflow (docs/operations.md): which run metadata keys are searchable,
 * how long finished runs are kept, and which workflow is started when a run fails for good. Checked at
 * definition time; the engine applies them.
 */

/** How long finished runs of a workflow are kept, per outcome: `'7d'`, `'12h'` or ms. Absent: kept. */
export interface RetentionPolicy {
  success?: string | number;
  failed?: string | number;
  canceled?: string | number;
}

/** A retention policy in ms per terminal status. */
export type ResolvedRetention = Partial<Record<'success' | 'failed' | 'canceled', number>>;

export interface OperationsConfig {
  searchable?: readonly string[];
  retention?: RetentionPolicy;
  onFailure?: string;
}

export interface ResolvedOperations {
  searchable: readonly string[];
  retention?: ResolvedRetention;
  onFailure?: string;
}

/** Longest searchable metadata key, and most keys per workflow (each is one index row per run). */
export const MAX_SEARCHABLE_KEYS = 16;
const MAX_KEY_LENGTH = 100;

export function operationsOf(where: string, c: OperationsConfig): ResolvedOperations {
  const out: ResolvedOperations = { searchable: Object.freeze(searchableOf(where, c.searchable)) };
  if (c.retention !== undefined) out.retention = Object.freeze(retentionOf(where, c.retention));
  if (c.onFailure !== undefined) {
    const problem = idProblem(c.onFailure);
    if (problem) throw new WorkflowDefinitionError(`${where}: onFailure must name a workflow (its id); it ${problem}`);
    out.onFailure = c.onFailure;
  }
  return Object.freeze(out);
}

function searchableOf(where: string, keys: unknown): string[] {
  if (keys === undefined) return [];
  if (!Array.isArray(keys)) throw new WorkflowDefinitionError(`${where}: searchable must be an array of metadata keys`);
  if (keys.length > MAX_SEARCHABLE_KEYS) throw new WorkflowDefinitionError(`${where}: searchable takes at most ${MAX_SEARCHABLE_KEYS} keys`);
  for (const k of keys) {
    const problem = idProblem(k, MAX_KEY_LENGTH);
    if (problem) throw new WorkflowDefinitionError(`${where}: each searchable key ${problem}`);
  }
  return [...new Set(keys as string[])];
}

function retentionOf(where: string, r: unknown): ResolvedRetention {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) {
    throw new WorkflowDefinitionError(`${where}: retention must be an object like { success: '7d', failed: '30d' }`);
  }
  const out: ResolvedRetention = {};
  for (const [k, v] of Object.entries(r)) {
    if (k !== 'success' && k !== 'failed' && k !== 'canceled') {
      throw new WorkflowDefinitionError(`${where}: retention.${k} is not an outcome (success, failed or canceled)`);
    }
    if (v === undefined) continue;
    const ms = durationMs(v);
    if (ms === null || ms <= 0) throw new WorkflowDefinitionError(`${where}: retention.${k} must be a positive duration such as '7d' or a number of ms`);
    out[k] = ms;
  }
  return out;
}
