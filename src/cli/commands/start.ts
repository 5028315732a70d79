import type { StreamEvent, WeftClient, WorkflowInfo } from '../../client/index.js';
import { RunNotFoundError, WeftError } from '../../errors.js';
import { EXIT, REMOTE, UsageError, parse, parseJson, str } from '../args.js';
import { clientFrom } from '../connect.js';
import { UnknownWorkflowError } from '../errors.js';
import { exitFor, printOutcome } from '../outcome.js';
import { color, fmtMs, printJson } from '../output.js';

/** One progress line per step event, on stderr so stdout stays the result. */
function progressLine(e: StreamEvent): string | null {
  const p = e.payload as { id?: string; status?: string; startedAt?: number; endedAt?: number; error?: { message?: string }; attempt?: number; completedCount?: number; totalCount?: number; workflowStatus?: string };
  switch (e.type) {
    case 'workflow-step-start':
      return `${color.blue('▶')} ${p.id} started`;
    case 'workflow-step-result':
      return p.status === 'success'
        ? `${color.green('✓')} ${p.id} ${color.dim(fmtMs(p.endedAt !== undefined && p.startedAt !== undefined ? p.endedAt - p.startedAt : undefined))}`
        : `${color.red('✗')} ${p.id} failed: ${p.error?.message ?? 'unknown error'}`;
    case 'workflow-step-retry':
      return `${color.yellow('↻')} ${p.id} retrying (attempt ${(p.attempt ?? 0) + 1}): ${p.error?.message ?? ''}`;
    case 'workflow-step-progress':
      return `${color.dim('…')} ${p.id} ${p.completedCount}/${p.totalCount}`;
    case 'workflow-step-suspended':
      return `${color.yellow('⏸')} ${p.id} suspended`;
    case 'workflow-step-waiting':
      return `${color.yellow('⏱')} ${p.id} sleeping`;
    default:
      return null;
  }
}

/** A WORKFLOW_NOT_FOUND from the server, retold with the workflows it does have. */
async function explainNotFound(err: unknown, client: WeftClient, key: string): Promise<unknown> {
  if (!(err instanceof WeftError) || err.code !== 'WORKFLOW_NOT_FOUND') return err;
  const available = await client.listWorkflows().then(
    (list) => list.map((w) => w.key),
    () => undefined,
  );
  return new UnknownWorkflowError(key, available);
}

/** The workflow's description (for resume schemas); a server that cannot give it just means less detail. */
export function describeQuietly(client: WeftClient, key: string): Promise<WorkflowInfo | null> {
  return client
    .getWorkflow(key)
    .describe()
    .catch(() => null);
}

const START_OPTIONS = { ...REMOTE, input: { type: 'string' as const }, 'run-id': { type: 'string' as const }, resource: { type: 'string' as const }, detach: { type: 'boolean' as const } };

/** `weft start <workflow> --input '<json>'`: starts a run on the server and shows its steps live. */
export async function start(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, START_OPTIONS, 'start', 1);
  const key = positionals[0];
  if (!key) throw new UsageError('start needs the workflow to run: weft start <workflow> [--input <json>]', 'start');
  const input = str(values, 'input');
  const inputData = input !== undefined ? parseJson(input, '--input', 'start') : {};
  const client = clientFrom(values);
  const run = await client.getWorkflow(key).createRun({
    ...(str(values, 'run-id') ? { runId: str(values, 'run-id') } : {}),
    ...(str(values, 'resource') ? { resourceId: str(values, 'resource') } : {}),
  });
  // Started (durably) before anything is printed, so a rejected start shows only the reason.
  try {
    await run.startAsync({ inputData });
  } catch (err) {
    throw await explainNotFound(err, client, key);
  }
  if (values.detach) {
    if (values.json) printJson({ runId: run.runId });
    else process.stdout.write(`started run ${run.runId}\n`);
    return EXIT.ok;
  }
  if (!values.json) process.stderr.write(`${color.bold(key)} run ${run.runId}\n`);
  for await (const e of run.watch()) {
    const line = values.json ? null : progressLine(e);
    if (line) process.stderr.write(`  ${line}\n`);
  }
  const final = await run.getWorkflowRunExecutionResult();
  if (!final) throw new RunNotFoundError(run.runId);
  if (values.json) printJson(final);
  else printOutcome(final, run.runId, final.status === 'suspended' ? await describeQuietly(client, key) : null);
  return exitFor(final);
}
