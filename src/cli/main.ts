#!/usr/bin/env node
import { WeftError } from '../errors.js';
import { EXIT, UsageError } from './args.js';
import { migrateCommand, prune } from './commands/maintenance.js';
import { runs } from './commands/runs.js';
import { dev, serveCommand } from './commands/serve.js';
import { start } from './commands/start.js';
import { color } from './output.js';

const HELP = `weft — durable workflows

Usage:
  weft dev [--port 4700] [--host 127.0.0.1] [--token <t>] [--db .weft/weft.db]
      engine + example workflows + dashboard on the default SQLite file
  weft serve --workflows <module> [--port] [--host] [--token] [--db <file> | --database-url <pg>]
      serve your own workflows (module exports \`workflows\` or a default registry)
      dev/serve also take --allow-host <name[:port]> (env WEFT_ALLOWED_HOSTS) and --cors-origin <origin>
      (env WEFT_CORS_ORIGINS), both repeatable; the env variables are comma-separated
  weft start <workflow> --input '<json>' [--run-id <id>] [--detach]     start a run, show its steps live
  weft runs list [--workflow <id>] [--status s1,s2] [--resource <id>] [--from <date>] [--to <date>] [--page n] [--per-page n]
  weft runs show <runId>
  weft runs cancel|retry <runId>
  weft runs resume <runId> [--step <id>] [--data '<json>'] [--wait]
      start/runs talk to a running server: --url (default http://127.0.0.1:4700, env WEFT_URL), --token (env WEFT_TOKEN)
  weft migrate [--db <file> | --database-url <pg>]                        bring the store schema up to date
  weft prune --older-than <30d> [--dry-run] [--db <file> | --database-url <pg>]   delete finished runs
      migrate/prune open the store directly (default .weft/weft.db, env WEFT_DB / WEFT_DATABASE_URL)

Every command takes --json for machine-readable output. Exit codes: 0 ok, 1 failed, 2 usage error.
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  dev,
  serve: serveCommand,
  start,
  runs,
  migrate: migrateCommand,
  prune,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}"`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const json = process.argv.includes('--json');
    if (err instanceof UsageError) {
      if (json) process.stderr.write(`${JSON.stringify({ error: { code: 'USAGE', message: err.message } })}\n`);
      else process.stderr.write(`${color.red('error:')} ${err.message}\nRun \`weft help\` for usage.\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    const code = err instanceof WeftError ? err.code : 'INTERNAL';
    const message = err instanceof Error ? err.message : String(err);
    if (json) process.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
    else process.stderr.write(`${color.red('error:')} ${message}${code !== 'INTERNAL' ? color.dim(` (${code})`) : ''}\n`);
    process.exitCode = EXIT.failed;
  },
);
