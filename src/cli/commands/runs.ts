import type { RunStatus, WeftClient } from '../../client/index.js';
import { EXIT, REMOTE, UsageError, parse, parseJson, str } from '../args.js';
import { clientFrom } from '../connect.js';
import { fmtDate, fmtMs, printJson, statusText, table } from '../output.js';

const LIST_OPTIONS = {
  ...REMOTE,
  workflow: { type: 'string' as const },
  status: { type: 'string' as const },
  resource: { type: 'string' as const },
  from: { type: 'string' as const },
  to: { type: 'string' as const },
  page: { type: 'string' as const },
  'per-page': { type: 'string' as const },
};

async function workflowOf(client: WeftClient, runId: string, given: string | undefined): Promise<string> {
  if (given) return given;
  const run = await client.getRun(runId);
  if (!run) throw new UsageError(`run "${runId}" does not exist`);
  return run.workflowId;
}

async function list(argv: string[]): Promise<number> {
  const { values } = parse(argv, LIST_OPTIONS);
  const client = clientFrom(values);
  const num = (k: string) => (str(values, k) !== undefined ? Number(str(values, k)) : undefined);
  const status = str(values, 'status');
  const res = await client.listRuns({
    ...(str(values, 'workflow') ? { workflowId: str(values, 'workflow') } : {}),
    ...(status ? { status: status.split(',') as RunStatus[] } : {}),
    ...(str(values, 'resource') ? { resourceId: str(values, 'resource') } : {}),
    ...(str(values, 'from') ? { fromDate: str(values, 'from') } : {}),
    ...(str(values, 'to') ? { toDate: str(values, 'to') } : {}),
    ...(num('page') !== undefined ? { page: num('page') } : {}),
    ...(num('per-page') !== undefined ? { perPage: num('per-page') } : {}),
  });
  if (values.json) return printJson(res), EXIT.ok;
  if (res.runs.length === 0) process.stdout.write('no runs\n');
  else process.stdout.write(`${table(res.runs.map((r) => [r.runId, r.workflowId, statusText(r.status), fmtDate(r.createdAt), fmtDate(r.updatedAt)]), ['RUN', 'WORKFLOW', 'STATUS', 'CREATED', 'UPDATED'])}\n`);
  process.stdout.write(`${res.runs.length} of ${res.total} run${res.total === 1 ? '' : 's'}\n`);
  return EXIT.ok;
}

async function show(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...REMOTE, workflow: { type: 'string' } });
  const runId = positionals[0];
  if (!runId) throw new UsageError('usage: weft runs show <runId> [--workflow <id>]');
  const client = clientFrom(values);
  const wf = client.getWorkflow(await workflowOf(client, runId, str(values, 'workflow')));
  const result = await wf.getWorkflowRunExecutionResult(runId);
  if (!result) throw new UsageError(`run "${runId}" does not exist`);
  if (values.json) return printJson(result), EXIT.ok;
  process.stdout.write(`run ${runId} (${wf.key}): ${statusText(result.status)}\n`);
  const steps = Object.entries(result.steps).sort((a, b) => a[1].startedAt - b[1].startedAt);
  if (steps.length) {
    const rows = steps.map(([id, s]) => [id, statusText(s.status), fmtDate(s.startedAt), fmtMs(s.endedAt !== undefined ? s.endedAt - s.startedAt : undefined), String(s.attempts)]);
    process.stdout.write(`${table(rows, ['STEP', 'STATUS', 'STARTED', 'DURATION', 'ATTEMPTS'])}\n`);
  }
  if (result.status === 'success') process.stdout.write(`result: ${JSON.stringify(result.result)}\n`);
  if (result.status === 'failed') process.stdout.write(`error: ${result.error.message}\n`);
  if (result.status === 'suspended') process.stdout.write(`suspended at ${result.suspended.map((p) => p.join('.')).join(', ')}: ${JSON.stringify(result.suspendPayload)}\n`);
  return EXIT.ok;
}

async function act(action: 'cancel' | 'resume' | 'retry', argv: string[]): Promise<number> {
  const resumeOptions = { step: { type: 'string' as const }, data: { type: 'string' as const }, wait: { type: 'boolean' as const } };
  const { values, positionals } = parse(argv, { ...REMOTE, workflow: { type: 'string' }, ...(action === 'resume' ? resumeOptions : {}) });
  const runId = positionals[0];
  if (!runId) throw new UsageError(`usage: weft runs ${action} <runId>${action === 'resume' ? " [--step <id>] [--data '<json>'] [--wait]" : ''}`);
  const client = clientFrom(values);
  const run = await client.getWorkflow(await workflowOf(client, runId, str(values, 'workflow'))).createRun({ runId });
  let out: unknown;
  if (action === 'cancel') out = await run.cancel();
  else if (action === 'retry') out = await run.retry();
  else {
    const data = str(values, 'data');
    const opts = { ...(str(values, 'step') ? { step: str(values, 'step') } : {}), ...(data !== undefined ? { resumeData: parseJson(data, '--data') } : {}) };
    out = values.wait ? await run.resume(opts) : await run.resumeAsync(opts);
  }
  if (values.json) return printJson(out), EXIT.ok;
  const status = (out as { status?: string }).status;
  process.stdout.write(`${action === 'cancel' ? 'canceled' : action === 'retry' ? 'retrying' : 'resumed'} run ${runId}${status ? `: ${statusText(status)}` : ''}\n`);
  return EXIT.ok;
}

/** `weft runs list|show|cancel|resume|retry`: talks to a running server (see docs/cli.md). */
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
      return act(sub, rest);
    default:
      throw new UsageError('usage: weft runs list|show|cancel|resume|retry …');
  }
}
