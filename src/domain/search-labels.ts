import { InvalidArgumentError } from '../errors.js';
import { textProblem } from './ids.js';

/**
 * Search labels (docs/operations.md, "Search"): what the store indexes for a run so listings can
 * filter on it. A label is opaque text to the store; here it is the JSON of a tuple, so a tag and a
 * metadata value can never be mistaken for each other whatever characters they hold.
 *
 * - a tag: `["t", tag]`;
 * - a searchable metadata key with a primitive value: `["m", key, String(value)]` (42 and "42" match
 *   the same filter: filters come as text from URLs and command lines).
 */

/** Longest tag or metadata value that is indexed. */
export const MAX_LABEL_VALUE = 200;
/** Most tags a run may carry. */
export const MAX_TAGS = 32;

export type SearchValue = string | number | boolean;

export function tagLabel(tag: string): string {
  return JSON.stringify(['t', tag]);
}

export function metadataLabel(key: string, value: SearchValue): string {
  return JSON.stringify(['m', key, String(value)]);
}

/** Checks a run's tags (start options): an array of at most MAX_TAGS short strings. */
export function checkTags(tags: unknown, what = 'tags'): string[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags) || tags.length > MAX_TAGS) throw new InvalidArgumentError(`${what} must be an array of at most ${MAX_TAGS} strings`);
  for (const t of tags) {
    if (typeof t !== 'string' || t.length === 0) throw new InvalidArgumentError(`${what} must be non-empty strings`);
    const problem = textProblem(t, MAX_LABEL_VALUE);
    if (problem) throw new InvalidArgumentError(`each of ${what} ${problem}`);
  }
  return tags as string[];
}

function indexable(v: unknown): v is SearchValue {
  if (typeof v === 'string') return v.length <= MAX_LABEL_VALUE && textProblem(v, MAX_LABEL_VALUE) === null;
  return (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';
}

/**
 * A new run's labels: its tags, and the searchable keys its metadata has with a primitive value that
 * fits (other values are kept with the run but not indexed). Null when there is nothing to index.
 */
export function runLabels(tags: readonly string[], metadata: Record<string, unknown> | undefined, searchable: readonly string[]): string | null {
  const out = new Set<string>();
  for (const t of tags) out.add(tagLabel(t));
  if (metadata) {
    for (const key of searchable) {
      const v = metadata[key];
      if (indexable(v)) out.add(metadataLabel(key, v));
    }
  }
  return out.size === 0 ? null : JSON.stringify([...out]);
}

/** A listing's tag and metadata filters as labels (every one must match). */
export function filterLabels(tags: unknown, metadata: unknown): string[] | undefined {
  const out: string[] = [];
  for (const t of checkTags(tags, 'tags filter')) out.push(tagLabel(t));
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw new InvalidArgumentError('metadata filter must be an object');
    const entries = Object.entries(metadata);
    if (entries.length > MAX_TAGS) throw new InvalidArgumentError(`metadata filter takes at most ${MAX_TAGS} keys`);
    for (const [k, v] of entries) {
      const problem = textProblem(k, MAX_LABEL_VALUE);
      if (problem || k.length === 0) throw new InvalidArgumentError(`metadata filter key "${k}" ${problem ?? 'must not be empty'}`);
      if (!indexable(v)) throw new InvalidArgumentError(`metadata filter "${k}" must be a string (at most ${MAX_LABEL_VALUE} characters), a number or a boolean`);
      out.push(metadataLabel(k, v));
    }
  }
  return out.length ? out : undefined;
}
