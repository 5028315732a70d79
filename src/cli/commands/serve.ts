import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Weft, type AnyWorkflow } from '../../index.js';
import { WeftError } from '../../errors.js';
import { DEFAULT_PORT, serve, type WeftServer } from '../../server/index.js';
import { EXIT, REMOTE, STORE, UsageError, parse, parsePort, str } from '../args.js';
import { storeFrom } from '../connect.js';
import { color } from '../output.js';

const SERVE_OPTIONS = {
  ...STORE,
  port: { type: 'string' as const },
  host: { type: 'string' as const },
  token: REMOTE.token!,
  'allow-host': { type: 'string' as const, multiple: true },
  'cors-origin': { type: 'string' as const, multiple: true },
};

/** A repeatable flag's values, else the comma-separated environment variable, else none. */
function listOption(values: Record<string, unknown>, flag: string, env: string): string[] | undefined {
  const given = values[flag];
  if (Array.isArray(given) && given.length > 0) return given.map(String);
  const fromEnv = process.env[env]
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return fromEnv?.length ? fromEnv : undefined;
}

/** Runs the engine and server until SIGINT/SIGTERM, then shuts down cleanly. */
async function runServer(workflows: Record<string, AnyWorkflow>, values: Record<string, unknown>, banner: string): Promise<number> {
  const { store, describe } = storeFrom(values);
  const weft = new Weft({ workflows, store });
  const token = str(values, 'token') ?? process.env.WEFT_TOKEN;
  const allowedHosts = listOption(values, 'allow-host', 'WEFT_ALLOWED_HOSTS');
  const corsOrigins = listOption(values, 'cors-origin', 'WEFT_CORS_ORIGINS');
  let server: WeftServer;
  try {
    server = await serve(weft, {
      port: parsePort(str(values, 'port'), DEFAULT_PORT),
      ...(str(values, 'host') ? { host: str(values, 'host') } : {}),
      ...(token ? { token } : {}),
      ...(allowedHosts ? { allowedHosts } : {}),
      ...(corsOrigins ? { corsOrigins } : {}),
    });
  } catch (err) {
    await weft.stop();
    // A malformed --allow-host or --cors-origin is a usage mistake (exit 2), like a malformed --port.
    if (err instanceof WeftError && err.code === 'INVALID_ARGUMENT') throw new UsageError(err.message);
    throw err;
  }
  const count = Object.keys(workflows).length;
  process.stdout.write(`${banner}\n`);
  process.stdout.write(`  dashboard  ${color.bold(`${server.url}/`)}\n  api        ${server.url}/api\n  store      ${describe}\n  workflows  ${count} (${Object.keys(workflows).join(', ')})\n`);
  if (token) process.stdout.write('  auth       bearer token required\n');
  if (allowedHosts) process.stdout.write(`  hosts      also ${allowedHosts.join(', ')}\n`);
  if (corsOrigins) process.stdout.write(`  cors       ${corsOrigins.join(', ')}\n`);
  process.stdout.write(color.dim('Press Ctrl-C to stop.\n'));
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write('stopping…\n');
  await server.close();
  await weft.stop();
  return EXIT.ok;
}

/** `weft dev`: the example workflows, the dashboard and the default SQLite file. */
export async function dev(argv: string[]): Promise<number> {
  const { values } = parse(argv, SERVE_OPTIONS);
  const { workflows } = await import('../../examples/index.js');
  return runServer(workflows, values, color.bold('weft dev'));
}

function isRegistry(v: unknown): v is Record<string, AnyWorkflow> {
  return !!v && typeof v === 'object' && Object.values(v).length > 0 && Object.values(v).every((w) => !!w && typeof w === 'object' && (w as { component?: unknown }).component === 'WORKFLOW');
}

/** `weft serve --workflows <module>`: serve your own registry (`export const workflows = {...}` or default). */
export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...SERVE_OPTIONS, workflows: { type: 'string' } });
  const modulePath = str(values, 'workflows');
  if (!modulePath) throw new UsageError('serve needs --workflows <module> (a module exporting `workflows` or a default registry)');
  const mod = (await import(pathToFileURL(resolve(modulePath)).href)) as { workflows?: unknown; default?: unknown };
  const registry = mod.workflows ?? mod.default;
  if (!isRegistry(registry)) throw new UsageError(`${modulePath} must export \`workflows\` (or a default export): an object of committed workflows`);
  return runServer(registry, values, color.bold('weft serve'));
}
