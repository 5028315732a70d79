import { Weft, type AnyWorkflow } from '../../index.js';
import { DEFAULT_PORT, serve, type WeftServer } from '../../server/index.js';
import { EXIT, REMOTE, STORE, UsageError, parse, parsePort, str, type Values } from '../args.js';
import { storeTarget } from '../connect.js';
import { PortInUseError } from '../errors.js';
import { loadRegistry } from '../workflows-module.js';
import { WeftError } from '../../errors.js';
import { color } from '../output.js';
import { openStore } from './maintenance.js';

const SERVE_OPTIONS = {
  ...STORE,
  port: { type: 'string' as const },
  host: { type: 'string' as const },
  token: REMOTE.token!,
  'allow-host': { type: 'string' as const, multiple: true },
  'cors-origin': { type: 'string' as const, multiple: true },
};

/** A repeatable flag's values, else the comma-separated environment variable, else none. */
function listOption(values: Values, flag: string, env: string): string[] | undefined {
  const given = (values as Record<string, unknown>)[flag];
  if (Array.isArray(given) && given.length > 0) return given.map(String);
  const fromEnv = process.env[env]
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return fromEnv?.length ? fromEnv : undefined;
}

/** How long a stop waits for in-flight steps before aborting them (then leases are released). */
const STOP_TIMEOUT_MS = 10_000;

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once (the user insists). */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) process.exit(130);
      stopping = true;
      done(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * Runs the engine and server until SIGINT/SIGTERM, then shuts down cleanly. A failure to start
 * (address in use, a store that cannot open or migrate) stops whatever had started, so the process
 * exits with the error instead of hanging on an open store and its timers.
 */
async function runServer(command: string, workflows: Record<string, AnyWorkflow>, values: Values): Promise<number> {
  const port = parsePort(str(values, 'port'), DEFAULT_PORT, command);
  const host = str(values, 'host') ?? '127.0.0.1';
  const token = str(values, 'token') || process.env.WEFT_TOKEN;
  const allowedHosts = listOption(values, 'allow-host', 'WEFT_ALLOWED_HOSTS');
  const corsOrigins = listOption(values, 'cors-origin', 'WEFT_CORS_ORIGINS');
  const target = storeTarget(values);
  const weft = new Weft({ workflows, store: openStore(target) });
  let server: WeftServer;
  try {
    server = await serve(weft, { port, host, ...(token ? { token } : {}), ...(allowedHosts ? { allowedHosts } : {}), ...(corsOrigins ? { corsOrigins } : {}) });
  } catch (err) {
    // serve() starts the engine before it listens; stop() closes the store even after a failed open.
    await weft.stop({ timeoutMs: 1000 }).catch(() => {});
    if ((err as { code?: unknown }).code === 'EADDRINUSE') throw new PortInUseError(host, port, { cause: err });
    // A malformed --allow-host or --cors-origin is a usage mistake (exit 2), like a malformed --port.
    if (err instanceof WeftError && err.code === 'INVALID_ARGUMENT') throw new UsageError(err.message);
    throw err;
  }
  const keys = Object.keys(workflows);
  process.stdout.write(`${color.bold(`weft ${command}`)}\n`);
  process.stdout.write(`  dashboard  ${color.bold(`${server.url}/`)}\n  api        ${server.url}/api\n  store      ${target.describe}\n  workflows  ${keys.length} (${keys.join(', ')})\n`);
  if (token) process.stdout.write('  auth       bearer token required\n');
  if (allowedHosts) process.stdout.write(`  hosts      also ${allowedHosts.join(', ')}\n`);
  if (corsOrigins) process.stdout.write(`  cors       ${corsOrigins.join(', ')}\n`);
  process.stdout.write(color.dim('Press Ctrl-C to stop.\n'));
  const signal = await stopSignal();
  process.stdout.write(`${signal === 'SIGINT' ? '\n' : ''}stopping… (in-flight steps get ${STOP_TIMEOUT_MS / 1000} s to finish)\n`);
  await server.close();
  await weft.stop({ timeoutMs: STOP_TIMEOUT_MS });
  process.stdout.write('stopped\n');
  return EXIT.ok;
}

/** `weft dev`: the example workflows, the dashboard and the default SQLite file. */
export async function dev(argv: string[]): Promise<number> {
  const { values } = parse(argv, SERVE_OPTIONS, 'dev');
  const { workflows } = await import('../../examples/index.js');
  return runServer('dev', workflows, values);
}

/** `weft serve --workflows <module>`: serve your own registry (`export const workflows = {...}` or default). */
export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...SERVE_OPTIONS, workflows: { type: 'string' } }, 'serve');
  const modulePath = str(values, 'workflows');
  if (!modulePath) throw new UsageError('serve needs --workflows <module> (a module exporting `workflows` or a default registry)', 'serve');
  parsePort(str(values, 'port'), DEFAULT_PORT, 'serve');
  return runServer('serve', await loadRegistry(modulePath), values);
}
