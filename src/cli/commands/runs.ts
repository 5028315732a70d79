import type { RemoteRun, RunStatus, WeftClient, WorkflowResult } from '../../client/index.js';
import { RUN_STATUSES } from '../../domain/run-status.js';
import { stepEntries } from '../../domain/step-entries.js';
import { RunNotFoundError } from '../../errors.js';
import { EXIT, REMOTE, UsageError, dateOption, intOption, parse, parseJson, str, type Values } from '../args.js';
import { clientFrom } from '../connect.js';
import { exitFor, printOutcome } from '../outcome.js';
import { fmtDate, fmtMs, printJson, statusText, table } from '../output.js';
import { BULK_FILTER_OPTIONS, bulk, hasBulkFilter } from './bulk.js';
import { describeQuietly } from './start.js';


const DEFAULT_PER_PAGE = 50;

const LIST_OPTIONS = {
  ...REMOTE,
  workflow: { type: 'string' as const },
  status: { type: 'string' as const },
  resource: { type: 'string' as const },
  prefix: { type: 'string' as const },
  from: { type: 'string' as const },
  to: { type: 'string' as const },
  page: { type: 'string' as const },
  'per-page': { type: 'string' as const },
  tag: { type: 'string' as const },
  meta: { type: 'string' as const, multiple: true },
};

/** `--meta customerId=c1` (repeatable): filters on searchable metadata keys. */
function metaFilters(values: Values, cmd: string): Record<string, string> | undefined {
  const given = values.meta;
  if (!Array.isArray(given) || given.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const pair of given as string[]) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--meta takes key=value, got "${pair}"`, cmd);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

async function workflowOf(client: WeftClient, runId: string, given: string | undefined): Promise<string> {
  if (given) return given;
  const run = await client.getRun(runId);
  if (!run) throw new RunNotFoundError(runId);
  return run.workflowId;
}

function statuses(text: string | undefined): RunStatus[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(',').map((s) => s.trim());
  const bad = list.filter((s) => !(RUN_STATUSES as readonly string[]).includes(s));
  if (bad.length) throw new UsageError(`unknown status ${bad.map((s) => `"${s}"`).join(', ')}; the statuses are ${RUN_STATUSES.join(', ')}`, 'runs list');
  return list as RunStatus[];
}

/** "page 1 of 7; next: --page 1": pages are numbered from 0 on the command line (as in the API). */
function pageLine(shown: number, total: number, page: number, perPage: number, values: Values): string {
  const pages = Math.max(1, Math.ceil(total / perPage));
  const first = page * perPage + 1;
  const range = shown ? `runs ${first}-${first + shown - 1} of ${total}` : `no runs on this page, ${total} in all`;
  const perPageFlag = str(values, 'per-page') !== undefined ? ` --per-page ${perPage}` : '';
  const next = (page + 1) * perPage < total ? `; next: --page ${page + 1}${perPageFlag}` : '';
  return `${range} (page ${page + 1} of ${pages}${next})`;
}

async function list(argv: string[]): Promise<number> {
  const cmd = 'runs list';
  const { values } = parse(argv, LIST_OPTIONS, cmd);
  const page = intOption(values, 'page', cmd, 0, Number.MAX_SAFE_INTEGER, ' (pages are numbered from 0)') ?? 0;
  const perPage = intOption(values, 'per-page', cmd, 1, 1000) ?? DEFAULT_PER_PAGE;
  const status = statuses(str(values, 'status'));
  const from = dateOption(values, 'from', cmd);
  const to = dateOption(values, 'to', cmd);
  const tags = str(values, 'tag')?.split(',').map((t) => t.trim());
  const metadata = metaFilters(values, cmd);
  const client = clientFrom(values);
  const res = await client.listRuns({
    ...(tags ? { tags } : {}),
    ...(metadata ? { metadata } : {}),
    ...(str(values, 'workflow') ? { workflowId: str(values, 'workflow') } : {}),
    ...(status ? { status } : {}),
    ...(str(values, 'resource') ? { resourceId: str(values, 'resource') } : {}),
    ...(str(values, 'prefix') ? { runIdPrefix: str(values, 'prefix') } : {}),
    ...(from ? { fromDate: from } : {}),
    ...(to ? { toDate: to } : {}),
    page,
    perPage,
  });
  if (values.json) return printJson(res), EXIT.ok;
  if (res.total === 0) {
    process.stdout.write('no runs\n');
    return EXIT.ok;
  }
  if (res.runs.length) {
    const rows = res.runs.map((r) => [r.runId, r.workflowId, statusText(r.status), fmtDate(r.createdAt), fmtDate(r.updatedAt)]);
    process.stdout.write(`${table(rows, ['RUN', 'WORKFLOW', 'STATUS', 'CREATED', 'UPDATED'])}\n`);
  }
  process.stdout.write(`${pageLine(res.runs.length, res.total, page, perPage, values)}\n`);
  return EXIT.ok;
}

async function show(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...REMOTE, workflow: { type: 'string' } }, 'runs show', 1);
  const runId = positionals[0];
  if (!runId) throw new UsageError('runs show needs a run id: weft runs show <runId>', 'runs show');
  const client = clientFrom(values);
  const key = await workflowOf(client, runId, str(values, 'workflow'));
  const result = await client.getWorkflow(key).getWorkflowRunExecutionResult(runId);
  if (!result) throw new RunNotFoundError(runId);
  if (values.json) return printJson(result), EXIT.ok;
  process.stdout.write(`run ${runId} (${key}): ${statusText(result.status)}\n`);
  const steps = stepEntries(result.steps).sort((a, b) => a[1].startedAt - b[1].startedAt);
  if (steps.length) {
    const rows = steps.map(([id, s]) => [id, statusText(s.status), fmtDate(s.startedAt), fmtMs(s.endedAt !== undefined ? s.endedAt - s.startedAt : undefined), String(s.attempts)]);
    process.stdout.write(`${table(rows, ['STEP', 'STATUS', 'STARTED', 'DURATION', 'ATTEMPTS'])}\n`);
  }
  if (result.status === 'success' || result.status === 'failed' || result.status === 'suspended') {
    printOutcome(result, runId, result.status === 'suspended' ? await describeQuietly(client, key) : null);
  }
  return EXIT.ok;
}

/**
 * Waits until a retried run settles. The retry route answers once the run is queued, and its event
 * stream may still hold the failure it is retrying, so this reads the result instead (backing off
 * from 50 ms to 1 s between reads).
 */
async function settled(run: RemoteRun): Promise<WorkflowResult> {
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    const r = await run.getWorkflowRunExecutionResult();
    if (!r) throw new RunNotFoundError(run.runId);
    if (r.status !== 'pending' && r.status !== 'running' && r.status !== 'waiting') return r;
    await new Promise((done) => setTimeout(done, delay));
  }
}

const ACT_USAGE = {
  cancel: 'weft runs cancel <runId>',
  retry: 'weft runs retry <runId> [--wait]',
  resume: "weft runs resume <runId> [--step <id>] [--data '<json>'] [--wait]",
  delete: 'weft runs delete <runId>',
};

/** Filters that only a bulk action takes (with a run id they are a mistake). */
const BULK_ONLY = ['status', 'resource', 'prefix', 'from', 'to', 'meta', 'dry-run', 'cursor', 'batch-size'];

async function act(action: 'cancel' | 'resume' | 'retry' | 'delete', argv: string[]): Promise<number> {
  const cmd = `runs ${action}`;
  const wait = { wait: { type: 'boolean' as const } };
  const extra = action === 'cancel' || action === 'delete' ? {} : action === 'retry' ? wait : { ...wait, step: { type: 'string' as const } };
  const { values, positionals } = parse(argv, { ...REMOTE, ...BULK_FILTER_OPTIONS, ...extra }, cmd, 1);
  const runId = positionals[0];
  // No run id and a filter: every matching run (`weft runs cancel --status running --workflow X`).
  if (!runId && hasBulkFilter(values)) {
    if (values.wait || values.step) throw new UsageError('--wait and --step apply to one run; a bulk action takes filters', cmd);
    return bulk(action, argv.filter((a) => a !== '--wait'));
  }
  if (!runId) throw new UsageError(`${cmd} needs a run id or filters: ${ACT_USAGE[action]}, or ${cmd} --workflow <id> --status <s1,s2> [--dry-run]`, cmd);
  const misplaced = BULK_ONLY.filter((k) => values[k] !== undefined);
  if (misplaced.length) throw new UsageError(`${misplaced.map((k) => `--${k}`).join(', ')} select runs by filter; give a run id or filters, not both`, cmd);
  const data = str(values, 'data');
  const resumeData = data !== undefined ? parseJson(data, '--data', cmd) : undefined;
  const client = clientFrom(values);
  const key = await workflowOf(client, runId, str(values, 'workflow'));
  const run = await client.getWorkflow(key).createRun({ runId });

  let result: WorkflowResult | undefined;
  let out: unknown;
  if (action === 'delete') {
    const deleted = await client.getWorkflow(key).deleteWorkflowRunById(runId);
    if (values.json) return printJson({ runId, deleted }), EXIT.ok;
    process.stdout.write(`${deleted ? 'deleted' : 'no such'} run ${runId}\n`);
    return deleted ? EXIT.ok : EXIT.failed;
  }
  if (action === 'cancel') out = await run.cancel();
  else if (action === 'retry') {
    out = await run.retry();
    if (values.wait) result = await settled(run);
  } else {
    const opts = { ...(str(values, 'step') ? { step: str(values, 'step') } : {}), ...(data !== undefined ? { resumeData } : {}) };
    if (values.wait) result = await run.resume(opts);
    else out = await run.resumeAsync(opts);
  }

  if (result) {
    if (values.json) printJson(result);
    else printOutcome(result, runId, result.status === 'suspended' ? await describeQuietly(client, key) : null);
    return exitFor(result);
  }
  if (values.json) return printJson(out), EXIT.ok;
  const status = (out as { status?: string }).status;
  const verb = action === 'cancel' ? 'canceled' : action === 'retry' ? 'retrying' : 'resumed';
  process.stdout.write(`${verb} run ${runId}${status ? `: ${statusText(status)}` : ''}\n`);
  return EXIT.ok;
}

/** `weft runs rerun <runId> --step <id> [--input '<json>'] [--run-id <id>] [--wait]`: a new run from a step. */
async function rerun(argv: string[]): Promise<number> {
  const cmd = 'runs rerun';
  const opts = { ...REMOTE, workflow: { type: 'string' as const }, step: { type: 'string' as const }, input: { type: 'string' as const }, 'run-id': { type: 'string' as const }, wait: { type: 'boolean' as const } };
  const { values, positionals } = parse(argv, opts, cmd, 1);
  const runId = positionals[0];
  const step = str(values, 'step');
  if (!runId || !step) throw new UsageError(`${cmd} needs a run id and a step: weft runs rerun <runId> --step <id> [--input '<json>']`, cmd);
  const input = str(values, 'input');
  const client = clientFrom(values);
  const key = await workflowOf(client, runId, str(values, 'workflow'));
  const source = await client.getWorkflow(key).createRun({ runId });
  const newId = str(values, 'run-id');
  const out = await source.rerun({ step, ...(input !== undefined ? { inputData: parseJson(input, '--input', cmd) } : {}), ...(newId ? { runId: newId } : {}) });
  if (values.wait) {
    const result = await settled(await client.getWorkflow(key).createRun({ runId: out.runId }));
    if (values.json) printJson({ ...out, result });
    else printOutcome(result, out.runId, result.status === 'suspended' ? await describeQuietly(client, key) : null);
    return exitFor(result);
  }
  if (values.json) return printJson(out), EXIT.ok;
  process.stdout.write(`rerun ${out.runId} of run ${runId} from step ${out.fromPath}\n`);
  return EXIT.ok;
}

/** `weft runs links <runId>`: where a run was rerun from and its reruns; its parent run and child runs. */
async function links(argv: string[]): Promise<number> {
  const cmd = 'runs links';
  const { values, positionals } = parse(argv, REMOTE, cmd, 1);
  const runId = positionals[0];
  if (!runId) throw new UsageError(`${cmd} needs a run id: weft runs links <runId>`, cmd);
  const res = await clientFrom(values).getRunLinks(runId);
  if (!res) throw new RunNotFoundError(runId);
  if (values.json) return printJson(res), EXIT.ok;
  process.stdout.write(res.rerunOf ? `rerun of ${res.rerunOf.runId} from step ${res.rerunOf.step}\n` : 'not a rerun\n');
  if (res.reruns.length === 0) process.stdout.write('no reruns\n');
  else process.stdout.write(`${table(res.reruns.map((l) => [l.runId, l.step, fmtDate(l.createdAt)]), ['RERUN', 'FROM STEP', 'CREATED'])}\n`);
  // Older servers answer without the child-run links.
  if (res.parent) process.stdout.write(`child run of ${res.parent.runId}, started by step ${res.parent.step}\n`);
  const children = res.children ?? [];
  if (children.length) process.stdout.write(`${table(children.map((l) => [l.runId, l.step, fmtDate(l.createdAt)]), ['CHILD RUN', 'STARTED BY STEP', 'CREATED'])}\n`);
  return EXIT.ok;
}

/** `weft runs list|show|cancel|resume|retry|rerun|links`: talks to a running server (see docs/cli.md). */
export async function runs(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'list':
    case 'ls':
      return list(rest);
    case 'show':
      return show(rest);
    case 'cancel':
    case 'resume':
    case 'retry':
    case 'delete':
      return act(sub, rest);
    case 'export':
      // Reads the store itself (not a server): loaded on use, like the store drivers.
      return (await import('./export.js')).exportRuns(rest);
    case 'rerun':
      return rerun(rest);
    case 'links':
      return links(rest);
    default:
      throw new UsageError(
        sub === undefined
          ? 'runs needs a subcommand: list, show, cancel, resume, retry, delete, rerun, links or export'
          : `unknown runs subcommand "${sub}"; use list, show, cancel, resume, retry, delete, rerun, links or export`,
        'runs',
      );
  }
}
