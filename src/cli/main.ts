#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { EXIT, UsageError, codeOf } from './errors.js';
import { GLOBAL_HELP, commandHelp } from './help.js';
import { color } from './output.js';

type Command = (argv: string[]) => Promise<number>;

/**
 * Commands load on use: `weft --help` or `weft runs list` need neither the database drivers nor the
 * engine, and starting Node with them costs a noticeable part of a short command.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  dev: async () => (await import('./commands/serve.js')).dev,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  start: async () => (await import('./commands/start.js')).start,
  runs: async () => (await import('./commands/runs.js')).runs,
  events: async () => (await import('./commands/events.js')).events,
  migrate: async () => (await import('./commands/maintenance.js')).migrateCommand,
  prune: async () => (await import('./commands/maintenance.js')).prune,
  check: async () => (await import('./commands/check.js')).check,
};

/** The package's version: package.json is two levels up from both src/cli/ and dist/cli/. */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function printHelp(name: string | undefined): number {
  if (name === undefined) {
    process.stdout.write(GLOBAL_HELP);
    return EXIT.ok;
  }
  const text = commandHelp(name);
  if (text === undefined) throw new UsageError(`unknown command "${name}"; the commands are ${Object.keys(COMMANDS).join(', ')}`);
  process.stdout.write(text);
  return EXIT.ok;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') return printHelp(undefined);
  if (name === 'help') return printHelp(rest[0]);
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const load = COMMANDS[name];
  if (!load) throw new UsageError(`unknown command "${name}"; the commands are ${Object.keys(COMMANDS).join(', ')}`);
  if (rest.includes('--help') || rest.includes('-h')) return printHelp(name);
  return (await load())(rest);
}

/** Prints an error with its stable code; `--json` prints `{ error: { code, message } }` on stderr. */
function report(err: unknown): number {
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (process.argv.includes('--json')) {
    process.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
  } else {
    process.stderr.write(`${color.red('error:')} ${message} ${color.dim(`(${code})`)}\n`);
    if (err instanceof UsageError) process.stderr.write(`Run \`weft ${err.command ? `${err.command} ` : ''}--help\` for usage.\n`);
    else if (code === 'SERVER_UNREACHABLE') process.stderr.write('Is `weft dev` or `weft serve` running there? Point at it with --url or WEFT_URL.\n');
    else if (code === 'INTERNAL' && err instanceof Error && err.stack) process.stderr.write(`${color.dim(err.stack)}\n`);
  }
  return err instanceof UsageError ? EXIT.usage : EXIT.failed;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = report(err);
  },
);
