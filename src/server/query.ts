import type { Context } from 'hono';
import { InvalidArgumentError } from '../errors.js';
import { RUN_STATUSES, isRunStatus, type RunStatus } from '../domain/run-status.js';
import { MAX_ID_LENGTH, checkId, textProblem } from '../domain/ids.js';
import type { RunListQuery } from '../engine/checks.js';

/** Longest value of any query parameter that is not an id (a status list, a date, an event id). */
const MAX_QUERY_VALUE_LENGTH = 1000;

const LIST_KEYS = ['workflowId', 'status', 'resourceId', 'runIdPrefix', 'cursor', 'from', 'to', 'tags', 'page', 'perPage'];
/** Metadata filters come as `metadata.<key>=<value>` (searchable keys, docs/operations.md "Search"). */
const METADATA_PREFIX = 'metadata.';

/** 1970-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z as epoch ms: what a run's creation time can be. */
const MIN_TIME = 0;
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

// Unbounded, `?from=99999999999999999999999` became 1e23, which PostgreSQL refused as a bigint (a 500).
// Dates must start as ISO dates do: Date.parse alone also reads things like `-1` (as 2001-01-01).
function parseTime(v: string, name: string): number {
  const t = /^\d{1,16}$/.test(v) ? Number(v) : /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : NaN;
  if (!(Number.isFinite(t) && t >= MIN_TIME && t <= MAX_TIME)) {
    throw new InvalidArgumentError(`${name} must be an ISO date or epoch milliseconds between the years 1970 and 9999`);
  }
  return t;
}

function parseInteger(v: string, name: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !(n >= min && n <= max)) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

/** Parses `GET /runs` filters: status is a comma-separated list, from/to are ISO dates or epoch ms. */
export function parseRunFilter(c: Context, allowWorkflowId: boolean): RunListQuery & { page: number; perPage: number } {
  const q = c.req.query();
  const allowed = allowWorkflowId ? LIST_KEYS : LIST_KEYS.filter((k) => k !== 'workflowId');
  const unknown = Object.keys(q).filter((k) => !allowed.includes(k) && !k.startsWith(METADATA_PREFIX));
  if (unknown.length) {
    throw new InvalidArgumentError(`unknown query parameter ${unknown.map((k) => `"${k}"`).join(', ')} (allowed: ${allowed.join(', ')}, metadata.<key>)`);
  }
  const filter: RunListQuery & { page: number; perPage: number } = {
    page: q.page !== undefined ? parseInteger(q.page, 'page', 0, 1_000_000) : 0,
    perPage: q.perPage !== undefined ? parseInteger(q.perPage, 'perPage', 1, 1000) : 50,
  };
  // An empty filter (`?workflowId=`, as a form with nothing selected sends) means no filter.
  if (q.workflowId) {
    checkId(q.workflowId, 'workflowId');
    filter.workflowId = q.workflowId;
  }
  if (q.resourceId) {
    checkId(q.resourceId, 'resourceId');
    filter.resourceId = q.resourceId;
  }
  if (q.runIdPrefix) {
    checkId(q.runIdPrefix, 'runIdPrefix');
    filter.runIdPrefix = q.runIdPrefix;
  }
  // Checked (and decoded) by the engine; a cursor replaces the page.
  if (q.cursor) filter.cursor = q.cursor;
  if (q.status) {
    const list = q.status.split(',').map((s) => s.trim());
    for (const s of list) {
      if (!isRunStatus(s)) throw new InvalidArgumentError(`status must be one of ${RUN_STATUSES.join(', ')} (got "${s}")`);
    }
    filter.status = list as RunStatus[];
  }
  if (q.from) filter.fromDate = parseTime(q.from, 'from');
  if (q.to) filter.toDate = parseTime(q.to, 'to');
  // Checked by the engine (domain/search-labels.ts), like a library caller's filters.
  if (q.tags) filter.tags = q.tags.split(',').map((t) => t.trim());
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) if (k.startsWith(METADATA_PREFIX)) metadata[k.slice(METADATA_PREFIX.length)] = v;
  if (Object.keys(metadata).length > 0) filter.metadata = metadata;
  return filter;
}

/**
 * Checks every /api path segment and query value before any route reads it, so no id reaches the store
 * unchecked: path segments (the workflow keys and run ids) as ids, other query values for length,
 * control characters and unpaired surrogates. A NUL byte in an id used to reach PostgreSQL and come
 * back as a 500 quoting the driver.
 */
export function checkRequestText(url: string, opts: { longValues?: Record<string, number> } = {}): void {
  const { pathname, searchParams } = new URL(url);
  for (const raw of pathname.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw new InvalidArgumentError('the request path is not valid percent-encoded UTF-8');
    }
    const problem = textProblem(segment, MAX_ID_LENGTH);
    if (problem) throw new InvalidArgumentError(`a path segment ${problem}`);
  }
  for (const [key, value] of searchParams) {
    const problem = textProblem(key, MAX_ID_LENGTH) ?? textProblem(value, opts.longValues?.[key] ?? MAX_QUERY_VALUE_LENGTH);
    if (problem) throw new InvalidArgumentError(`the query parameter "${key.slice(0, 50)}" ${problem}`);
  }
}
