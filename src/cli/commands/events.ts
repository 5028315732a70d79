import { EXIT, REMOTE, UsageError, parse, parseJson, str } from '../args.js';
import { clientFrom } from '../connect.js';
import { printJson } from '../output.js';

const SEND_OPTIONS = {
  ...REMOTE,
  key: { type: 'string' as const },
  data: { type: 'string' as const },
  id: { type: 'string' as const },
  run: { type: 'string' as const },
};

/** `weft events send NAME [--key K] [--data JSON] [--id ID] [--run RUNID]`: POST /events/:name. */
async function send(argv: string[]): Promise<number> {
  const cmd = 'events send';
  const { values, positionals } = parse(argv, SEND_OPTIONS, cmd, 1);
  const name = positionals[0];
  if (!name) throw new UsageError('events send needs the event name', cmd);
  const text = str(values, 'data');
  const data = text === undefined ? undefined : parseJson(text, '--data', cmd);
  const client = clientFrom(values);
  const runId = str(values, 'run');
  let out;
  if (runId !== undefined) {
    if (str(values, 'key') !== undefined || str(values, 'id') !== undefined) throw new UsageError('--run sends to one run: --key and --id do not apply', cmd);
    const run = await client.getRun(runId);
    out = await (await client.getWorkflow(run?.workflowId ?? '').createRun({ runId })).sendEvent(name, data);
  } else {
    const key = str(values, 'key');
    const id = str(values, 'id');
    out = await client.sendEvent(name, { ...(key !== undefined ? { key } : {}), ...(id !== undefined ? { id } : {}), ...(data !== undefined ? { data } : {}) });
  }
  if (values.json) return printJson(out), EXIT.ok;
  const what = out.created ? `event ${out.id} sent` : `event ${out.id} was sent before: nothing changed`;
  const to = out.delivered.length ? `; delivered to ${out.delivered.join(', ')}` : out.created ? '; no run waits for it now (kept for runs that reach a matching wait)' : '';
  const started = out.started.length ? `; started ${out.started.join(', ')}` : '';
  process.stdout.write(`${what}${to}${started}\n`);
  return EXIT.ok;
}

export async function events(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'send') return send(rest);
  throw new UsageError(sub === undefined ? 'events needs a subcommand: send' : `unknown events subcommand "${sub}"; use send`, 'events');
}
