import type { Context } from 'hono';
import type { RunView } from '../../define/run-types.js';
import type { AnyWorkflow } from '../../define/workflow.js';
import { RUN_STATUSES, type RunStatus } from '../../domain/run-status.js';
import { checkId } from '../../domain/ids.js';
import { InvalidArgumentError } from '../../errors.js';
import type { ApiContext } from '../routes/context.js';
import { mastraStepGraph } from './info.js';
import { mastraRunListItem } from './views.js';

/** Mastra's run statuses; those weft never gives a run (bailed, tripwire, paused, skipped) match nothing. */
const MASTRA_STATUSES = ['running', 'waiting', 'suspended', 'success', 'failed', 'canceled', 'pending', 'bailed', 'tripwire', 'paused', 'skipped'];

/** Without page/perPage (or limit), Mastra returns every run; weft returns at most this many. */
const DEFAULT_PER_PAGE = 100;
const MAX_PER_PAGE = 1000;

function int(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !(n >= min && n <= max)) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

function date(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const t = /^\d{1,16}$/.test(v) ? Number(v) : /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : NaN;
  if (!(Number.isFinite(t) && t >= 0 && t <= Date.UTC(9999, 11, 31, 23, 59, 59, 999))) {
    throw new InvalidArgumentError(`${name} must be an ISO date or epoch milliseconds between the years 1970 and 9999`);
  }
  return t;
}

/**
 * GET /workflows/:id/runs with Mastra's query: `fromDate`, `toDate`, `resourceId`, `status` (one),
 * `page`/`perPage`, or the older `limit`/`offset` (Studio sends `limit=20&offset=0`). Each run
 * carries its `snapshot` (the run's state), read per run, so pages are bounded.
 */
export async function listRunsForMastra(ctx: ApiContext, wf: AnyWorkflow, c: Context): Promise<{ runs: Record<string, unknown>[]; total: number }> {
  const q = c.req.query();
  let perPage = int(q.perPage, 'perPage', 1, MAX_PER_PAGE);
  let page = int(q.page, 'page', 0, 1_000_000);
  // limit=false is Mastra's "no limit"; weft still pages, at the largest page size.
  const limit = q.limit === 'false' ? MAX_PER_PAGE : int(q.limit, 'limit', 1, MAX_PER_PAGE);
  const offset = int(q.offset, 'offset', 0, 1_000_000_000);
  if (perPage === undefined && limit !== undefined) perPage = limit;
  perPage ??= DEFAULT_PER_PAGE;
  if (page === undefined && offset !== undefined) page = Math.floor(offset / perPage);
  page ??= 0;
  const status = q.status || undefined;
  if (status !== undefined && !MASTRA_STATUSES.includes(status)) throw new InvalidArgumentError(`status must be one of ${MASTRA_STATUSES.join(', ')}`);
  if (status !== undefined && !(RUN_STATUSES as readonly string[]).includes(status)) return { runs: [], total: 0 };
  const resourceId = q.resourceId || undefined;
  if (resourceId !== undefined) checkId(resourceId, 'resourceId');
  const fromDate = date(q.fromDate, 'fromDate');
  const toDate = date(q.toDate, 'toDate');
  const res = await ctx.weft.listRuns({
    workflowId: wf.id,
    page,
    perPage,
    ...(status ? { status: status as RunStatus } : {}),
    ...(resourceId ? { resourceId } : {}),
    ...(fromDate !== undefined ? { fromDate } : {}),
    ...(toDate !== undefined ? { toDate } : {}),
  });
  const views = await Promise.all(res.runs.map((r) => wf.getWorkflowRunById(r.runId)));
  // A run deleted between the listing and its read is left out of the page.
  const graph = mastraStepGraph(wf);
  return { runs: views.filter((v): v is RunView => v !== null).map((v) => mastraRunListItem(v, graph)), total: res.total };
}

/**
 * GET /workflows/run-counts: per registry key, the runs in progress (Mastra's `running`; weft counts
 * its pending and waiting runs there too, since Mastra has no stored queue or durable timers) and
 * the runs waiting for a resume.
 */
export async function runCounts(ctx: ApiContext): Promise<Record<string, { running: number; suspended: number }>> {
  const entries = Object.entries(ctx.weft.listWorkflows());
  const counts = await Promise.all(
    entries.map(async ([, wf]) => {
      const [running, suspended] = await Promise.all([
        ctx.weft.listRuns({ workflowId: wf.id, status: ['pending', 'running', 'waiting'], perPage: 1 }),
        ctx.weft.listRuns({ workflowId: wf.id, status: 'suspended', perPage: 1 }),
      ]);
      return { running: running.total, suspended: suspended.total };
    }),
  );
  return Object.fromEntries(entries.map(([key], i) => [key, counts[i]!]));
}
