import type { StreamEvent } from '../../client/index.js';
import { EXIT, REMOTE, UsageError, parse, parseJson, str } from '../args.js';
import { clientFrom } from '../connect.js';
import { color, fmtMs, printJson, statusText } from '../output.js';

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

/** `weft start <workflow> --input '<json>'`: starts a run on the server and shows its steps live. */
export async function start(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...REMOTE, input: { type: 'string' }, 'run-id': { type: 'string' }, resource: { type: 'string' }, detach: { type: 'boolean' } });
  const key = positionals[0];
  if (!key) throw new UsageError("usage: weft start <workflow> --input '<json>' [--run-id <id>] [--detach]");
  const input = str(values, 'input');
  const inputData = input !== undefined ? parseJson(input, '--input') : {};
  const client = clientFrom(values);
  const run = await client.getWorkflow(key).createRun({
    ...(str(values, 'run-id') ? { runId: str(values, 'run-id') } : {}),
    ...(str(values, 'resource') ? { resourceId: str(values, 'resource') } : {}),
  });
  if (values.detach) {
    const res = await run.startAsync({ inputData });
    if (values.json) printJson(res);
    else process.stdout.write(`started run ${res.runId}\n`);
    return EXIT.ok;
  }
  const { fullStream, result } = run.stream({ inputData });
  if (!values.json) process.stderr.write(`${color.bold(key)} run ${run.runId}\n`);
  for await (const e of fullStream) {
    const line = values.json ? null : progressLine(e);
    if (line) process.stderr.write(`  ${line}\n`);
  }
  const final = await result;
  if (values.json) printJson(final);
  else {
    process.stdout.write(`${statusText(final.status)}`);
    if (final.status === 'success') process.stdout.write(` ${JSON.stringify(final.result)}`);
    if (final.status === 'failed') process.stdout.write(`: ${final.error.message}`);
    if (final.status === 'suspended') process.stdout.write(` at ${final.suspended.map((p) => p.join('.')).join(', ')} — resume with: weft runs resume ${run.runId} --data '<json>'`);
    process.stdout.write('\n');
  }
  return final.status === 'failed' || final.status === 'canceled' ? EXIT.failed : EXIT.ok;
}
