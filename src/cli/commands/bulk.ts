import type { BulkJobJson, BulkRequestJson } from '../../client/index.js';
import type { BulkAction, BulkProgress } from '../../domain/bulk.js';
import { RUN_STATUSES } from '../../domain/run-status.js';
import { EXIT, REMOTE, UsageError, dateOption, intOption, parse, parseJson, str, type Values } from '../args.js';
import { clientFrom } from '../connect.js';
import { printJson } from '../output.js';
import { Progress } from '../progress.js';

/** Options that select runs by filter (`weft runs cancel --status running --workflow X`). */
export const BULK_FILTER_OPTIONS = {
  workflow: { type: 'string' as const },
  status: { type: 'string' as const },
  resource: { type: 'string' as const },
  prefix: { type: 'string' as const },
  from: { type: 'string' as const },
  to: { type: 'string' as const },
  meta: { type: 'string' as const, multiple: true },
  'dry-run': { type: 'boolean' as const },
  'batch-size': { type: 'string' as const },
  cursor: { type: 'string' as const },
  data: { type: 'string' as const },
};

/** Whether the command line selects runs by filter (rather than naming one run). */
export function hasBulkFilter(values: Values): boolean {
  return ['status', 'resource', 'prefix', 'from', 'to', 'meta', 'dry-run', 'cursor'].some((k) => values[k] !== undefined) || values.workflow !== undefined;
}

/** `--meta plan=pro`: a string, or a number/boolean when the value reads as one (`--meta tier=2`). */
function metadataOf(values: Values, cmd: string): Record<string, string | number | boolean> | undefined {
  const list = values.meta;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const out: Record<string, string | number | boolean> = {};
  for (const pair of list) {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`--meta needs key=value, got "${pair}"`, cmd);
    const raw = pair.slice(at + 1);
    out[pair.slice(0, at)] = raw === 'true' ? true : raw === 'false' ? false : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  }
  return out;
}

function requestOf(action: BulkAction, values: Values, cmd: string): BulkRequestJson {
  const status = str(values, 'status')
    ?.split(',')
    .map((s) => s.trim());
  const bad = (status ?? []).filter((s) => !(RUN_STATUSES as readonly string[]).includes(s));
  if (bad.length) throw new UsageError(`unknown status ${bad.map((s) => `"${s}"`).join(', ')}; the statuses are ${RUN_STATUSES.join(', ')}`, cmd);
  const from = dateOption(values, 'from', cmd);
  const to = dateOption(values, 'to', cmd);
  const meta = metadataOf(values, cmd);
  const filter: NonNullable<BulkRequestJson['filter']> = {
    ...(str(values, 'workflow') ? { workflowId: str(values, 'workflow') } : {}),
    ...(status ? { status: status as NonNullable<BulkRequestJson['filter']>['status'] } : {}),
    ...(str(values, 'resource') ? { resourceId: str(values, 'resource') } : {}),
    ...(str(values, 'prefix') ? { runIdPrefix: str(values, 'prefix') } : {}),
    ...(from ? { fromDate: /^\d+$/.test(from) ? Number(from) : from } : {}),
    ...(to ? { toDate: /^\d+$/.test(to) ? Number(to) : to } : {}),
    ...(meta ? { metadata: meta } : {}),
  };
  const data = str(values, 'data');
  if (data !== undefined && action !== 'resume') throw new UsageError('--data is for runs resume only', cmd);
  const batchSize = intOption(values, 'batch-size', cmd, 1, 1000);
  return {
    action,
    filter,
    ...(data !== undefined ? { resumeData: parseJson(data, '--data', cmd) } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(values['dry-run'] ? { dryRun: true } : {}),
    ...(str(values, 'cursor') ? { cursor: str(values, 'cursor') } : {}),
  };
}

const VERB: Record<BulkAction, string> = { cancel: 'canceled', resume: 'resumed', retry: 'retried', delete: 'deleted' };

function line(p: BulkProgress): string {
  return `${p.action}: ${p.processed} of ${p.matched} looked at · ${p.succeeded} ${VERB[p.action]} · ${p.skipped} skipped · ${p.failed} failed`;
}

/**
 * `weft runs cancel|resume|retry|delete` with filters instead of a run id: starts a bulk action on the
 * server and follows its progress (a line on a TTY), then prints the outcome. `--dry-run` only counts.
 * Exit 1 when some runs failed, with the first errors listed and the cursor to continue from.
 */
export async function bulk(action: BulkAction, argv: string[]): Promise<number> {
  const cmd = `runs ${action}`;
  const { values } = parse(argv, { ...REMOTE, ...BULK_FILTER_OPTIONS }, cmd);
  const request = requestOf(action, values, cmd);
  const client = clientFrom(values);
  const progress = new Progress(!values.json);
  progress.update(`${action}: counting…`, true);
  const started = await client.bulk(request);
  let final: BulkProgress;
  let failure: BulkJobJson['failure'];
  if (!('id' in started)) final = started.progress;
  else {
    let job: BulkJobJson = started;
    // Polls the job, backing off to 500 ms: the server does the work in batches meanwhile.
    for (let delay = 50; !job.progress.done && !job.failure; delay = Math.min(delay * 2, 500)) {
      progress.update(line(job.progress));
      await new Promise((r) => setTimeout(r, delay));
      job = await client.getBulk(job.id);
    }
    final = job.progress;
    failure = job.failure;
  }
  progress.done();
  if (values.json) printJson({ ...final, ...(failure ? { failure } : {}) });
  else if (final.dryRun) process.stdout.write(`${final.succeeded} run(s) would be ${VERB[action]} (${final.matched} matched the filter, ${final.skipped} not in a state to ${action})\n`);
  else {
    process.stdout.write(`${line(final)}\n`);
    for (const e of final.errors) process.stdout.write(`  ${e.runId}: ${e.code}: ${e.message}\n`);
    if (failure) process.stdout.write(`stopped by ${failure.code}: ${failure.message}\ncontinue with --cursor ${final.cursor ?? ''}\n`);
  }
  return final.failed > 0 || failure ? EXIT.failed : EXIT.ok;
}
