import type { ListRunsOptions } from '../define/run-types.js';
import { InvalidArgumentError } from '../errors.js';
import type { ListRunsFilter, RunStatus } from '../store/types.js';

const RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'waiting', 'suspended', 'success', 'failed', 'canceled'];

/** Checks a listing's options (paging, statuses, dates) and turns them into the store's filter. */
export function listFilterOf(opts: ListRunsOptions): Omit<ListRunsFilter, 'workflowId'> {
  const toMs = (d: Date | number | undefined, name: string) => {
    if (d === undefined) return undefined;
    const t = d instanceof Date ? d.getTime() : d;
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new InvalidArgumentError(`${name} must be a Date or epoch ms`);
    return t;
  };
  const perPage = opts.perPage;
  if (perPage !== undefined && !(Number.isInteger(perPage) && perPage > 0 && perPage <= 1000)) {
    throw new InvalidArgumentError('perPage must be an integer from 1 to 1000');
  }
  if (opts.page !== undefined && !(Number.isInteger(opts.page) && opts.page >= 0)) throw new InvalidArgumentError('page must be a non-negative integer');
  const statuses = opts.status === undefined ? [] : Array.isArray(opts.status) ? opts.status : [opts.status];
  for (const st of statuses) {
    if (!RUN_STATUSES.includes(st)) throw new InvalidArgumentError(`unknown status "${String(st)}"; expected one of ${RUN_STATUSES.join(', ')}`);
  }
  return {
    status: opts.status,
    resourceId: opts.resourceId,
    fromDate: toMs(opts.fromDate, 'fromDate'),
    toDate: toMs(opts.toDate, 'toDate'),
    page: opts.page,
    perPage,
  };
}
