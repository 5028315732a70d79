import type { Context } from 'hono';
import { InvalidArgumentError } from '../errors.js';
import { RUN_STATUSES, isRunStatus, type RunStatus } from '../domain/run-status.js';
import type { ListRunsFilter } from '../store/types.js';

const LIST_KEYS = ['workflowId', 'status', 'resourceId', 'from', 'to', 'page', 'perPage'];

function parseTime(v: string, name: string): number {
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t)) throw new InvalidArgumentError(`${name} must be an ISO date or epoch milliseconds`);
  return t;
}

function parseInteger(v: string, name: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !(n >= min && n <= max)) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

/** Parses `GET /runs` filters: status is a comma-separated list, from/to are ISO dates or epoch ms. */
export function parseRunFilter(c: Context, allowWorkflowId: boolean): ListRunsFilter & { page: number; perPage: number } {
  const q = c.req.query();
  const allowed = allowWorkflowId ? LIST_KEYS : LIST_KEYS.filter((k) => k !== 'workflowId');
  const unknown = Object.keys(q).filter((k) => !allowed.includes(k));
  if (unknown.length) throw new InvalidArgumentError(`unknown query parameter ${unknown.map((k) => `"${k}"`).join(', ')} (allowed: ${allowed.join(', ')})`);
  const filter: ListRunsFilter & { page: number; perPage: number } = {
    page: q.page !== undefined ? parseInteger(q.page, 'page', 0, 1_000_000) : 0,
    perPage: q.perPage !== undefined ? parseInteger(q.perPage, 'perPage', 1, 1000) : 50,
  };
  if (q.workflowId) filter.workflowId = q.workflowId;
  if (q.resourceId) filter.resourceId = q.resourceId;
  if (q.status) {
    const list = q.status.split(',').map((s) => s.trim());
    for (const s of list) {
      if (!isRunStatus(s)) throw new InvalidArgumentError(`status must be one of ${RUN_STATUSES.join(', ')} (got "${s}")`);
    }
    filter.status = list as RunStatus[];
  }
  if (q.from) filter.fromDate = parseTime(q.from, 'from');
  if (q.to) filter.toDate = parseTime(q.to, 'to');
  return filter;
}
