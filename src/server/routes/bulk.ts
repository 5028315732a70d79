import { Hono } from 'hono';
import type { BulkHandle, BulkOptions, BulkProgress } from '../../engine/bulk.js';
import { InvalidArgumentError } from '../../errors.js';
import { BulkNotFoundError } from '../http-errors.js';
import { onlyKeys, readJsonObject, type JsonObject } from '../body.js';
import type { ApiContext } from './context.js';

const BULK_KEYS = ['action', 'filter', 'resumeData', 'batchSize', 'dryRun', 'cursor'];
/** Jobs kept for their progress to be read; the oldest finished ones go first. */
const MAX_JOBS = 100;

interface Job {
  id: string;
  handle: BulkHandle;
  startedAt: number;
  /** Set when the walk failed for good (the store stayed down). */
  failure?: { code: string; message: string };
}

/** JSON dates (ISO strings) as the engine takes them; everything else is checked by weft.bulk. */
function bulkOptions(body: JsonObject): BulkOptions {
  onlyKeys(body, BULK_KEYS, 'bulk request');
  const filter = body.filter;
  if (filter !== undefined && (filter === null || typeof filter !== 'object' || Array.isArray(filter))) throw new InvalidArgumentError('filter must be an object');
  const f = { ...(filter as Record<string, unknown> | undefined) };
  for (const k of ['fromDate', 'toDate']) {
    const v = f[k];
    if (typeof v === 'string') {
      const t = /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : NaN;
      if (!Number.isFinite(t)) throw new InvalidArgumentError(`filter.${k} must be an ISO date or epoch milliseconds`);
      f[k] = t;
    }
  }
  return { ...(body as unknown as BulkOptions), filter: f };
}

function jobJson(job: Job): { id: string; startedAt: string; progress: BulkProgress; failure?: Job['failure'] } {
  return { id: job.id, startedAt: new Date(job.startedAt).toISOString(), progress: job.handle.progress(), ...(job.failure ? { failure: job.failure } : {}) };
}

/**
 * Bulk actions over HTTP: POST /runs/bulk starts one (202 with its id; `dryRun` answers 200 with the
 * count once it is known), GET /runs/bulk/:id reads its progress, POST /runs/bulk/:id/stop stops it
 * after the current batch. Jobs live in this server process; an interrupted one continues from the
 * `cursor` its progress carries.
 */
export function bulkRoutes(ctx: ApiContext): Hono {
  const { weft } = ctx;
  const jobs = new Map<string, Job>();
  let seq = 0;
  const app = new Hono();

  app.post('/', async (c) => {
    const opts = bulkOptions(await readJsonObject(c));
    const handle = weft.bulk(opts);
    if (opts.dryRun) return c.json({ progress: await handle.done }, 200);
    const job: Job = { id: `bulk-${Date.now().toString(36)}-${++seq}`, handle, startedAt: Date.now() };
    handle.done.catch((err: unknown) => {
      const e = err as { code?: string; message?: string };
      job.failure = { code: e.code ?? 'ERROR', message: e.message ?? String(err) };
    });
    jobs.set(job.id, job);
    if (jobs.size > MAX_JOBS) {
      for (const [id, j] of jobs) {
        if (jobs.size <= MAX_JOBS) break;
        if (j.handle.progress().done || j.failure) jobs.delete(id);
      }
    }
    return c.json(jobJson(job), 202);
  });

  const find = (id: string): Job => {
    const job = jobs.get(id);
    if (!job) throw new BulkNotFoundError(id, MAX_JOBS);
    return job;
  };

  app.get('/:id', (c) => c.json(jobJson(find(c.req.param('id')))));

  app.post('/:id/stop', async (c) => {
    onlyKeys(await readJsonObject(c), [], 'stop request');
    const job = find(c.req.param('id'));
    job.handle.stop();
    return c.json(jobJson(job));
  });

  return app;
}
