/** Help texts: `weft help`, `weft help <command>`, `weft <command> --help`. */

const REMOTE = `Connection (start, runs, events):
  --url <url>        the server (default http://127.0.0.1:4700, env WEFT_URL)
  --token <token>    bearer token (env WEFT_TOKEN)`;

const STORE = `Store (dev, serve, migrate, prune, check):
  --db <file>               SQLite file (default .weft/weft.db, env WEFT_DB)
  --database-url <url>      PostgreSQL instead (env WEFT_DATABASE_URL)`;

const COMMON = `  --json             machine-readable output (errors too, on stderr)
  -h, --help         this help`;

const EXITS = 'Exit codes: 0 ok, 1 failed (a failed or canceled run, an error from the server or the store), 2 usage error.';

export const GLOBAL_HELP = `weft — durable workflows

Usage: weft <command> [options]

Commands:
  dev                    the example workflows, the dashboard and the API on .weft/weft.db
  serve                  your own workflows (--workflows <module>), the dashboard and the API
  start <workflow>       start a run on a server and show its steps live
  runs list|show|cancel|resume|retry|delete|rerun|links
                         inspect and steer runs on a server, one or many by filter
  events send <name>     send an event (to waiting runs, or to start workflows)
  migrate                bring the store's schema up to date
  prune                  delete finished runs older than a duration
  check --workflows <m>  which unfinished runs new code would break (exit 1 if any)

Run \`weft <command> --help\` (or \`weft help <command>\`) for a command's options.
\`weft --version\` prints the version.

${EXITS}
`;

const SERVE_OPTIONS = `  --port <n>         port (default 4700; 0 picks a free one)
  --host <addr>      address (default 127.0.0.1; any other needs --token)
  --token <token>    require this bearer token on /api (env WEFT_TOKEN)
  --allow-host <h>   also serve this Host name (repeatable; env WEFT_ALLOWED_HOSTS, comma-separated);
                     on a loopback bind only localhost, 127.0.0.0/8 and [::1] are served otherwise
  --cors-origin <o>  let a UI on this origin call the API, e.g. http://localhost:3000 (repeatable;
                     env WEFT_CORS_ORIGINS, comma-separated); off by default
${STORE.split('\n').slice(1).join('\n')}`;

const COMMANDS: Record<string, string> = {
  dev: `weft dev — the example workflows, the dashboard and the API

Usage: weft dev [--port 4700] [--host 127.0.0.1] [--token <t>] [--db .weft/weft.db | --database-url <pg>]

Options:
${SERVE_OPTIONS}
${COMMON}

Stops cleanly on Ctrl-C or SIGTERM: in-flight steps finish (up to 10 s), leases are released.`,

  serve: `weft serve — serve your own workflows, with the dashboard and the API

Usage: weft serve --workflows <module> [--port 4700] [--host 127.0.0.1] [--token <t>] [--db <file> | --database-url <pg>]

Options:
  --workflows <module>   a JavaScript module exporting \`workflows\` (or a default export):
                         an object of committed workflows, { key: workflow }.
                         For TypeScript, compile it first, or run the CLI under a loader:
                         node --import tsx node_modules/weft/dist/cli/main.js serve --workflows ./workflows.ts
${SERVE_OPTIONS}
${COMMON}

Stops cleanly on Ctrl-C or SIGTERM: in-flight steps finish (up to 10 s), leases are released.
A startup failure (port in use, bad module, store that cannot open or migrate) prints its code and exits 1.`,

  start: `weft start — start a run and show its steps live

Usage: weft start <workflow> [--input '<json>'] [--run-id <id>] [--resource <id>] [--detach]

Options:
  --input <json>     the run's input (default {})
  --run-id <id>      your own run id (starting an existing id returns that run)
  --resource <id>    resource id (a user, an order, ...)
  --detach           start durably, print the run id and exit
${COMMON}

${REMOTE}

Progress goes to stderr, the outcome to stdout. A suspended run shows its suspend payload, the resume
schema (as JSON Schema) and the \`weft runs resume\` command. Exit 1 when the run failed or was canceled.`,

  runs: `weft runs — inspect and steer runs on a server

Usage:
  weft runs list [--workflow <id>] [--status s1,s2] [--resource <id>] [--prefix <text>] [--from <date>] [--to <date>]
                 [--tag t1,t2] [--meta key=value]... [--page n] [--per-page n]
  weft runs show <runId>
  weft runs rerun <runId> --step <id> [--input '<json>'] [--run-id <id>] [--wait]
  weft runs links <runId>
  weft runs resume <runId> [--step <id>] [--data '<json>'] [--wait]
  weft runs retry <runId> [--wait]
  weft runs cancel <runId>
  weft runs export [--status s1,s2] [--workflow <id>]... [--run <id>]... [--out file.json] [--db <file> | --database-url <pg>]

\`export\` reads the store itself (not a server): runs and their journals as JSON (unfinished runs by
default), for replayRuns({ histories }) from weft/testing.
  weft runs delete <runId>

Bulk (every run the filters match, in batches on the server, with progress on a terminal):
  weft runs cancel|resume|retry|delete [--workflow <id>] [--status s1,s2] [--resource <id>] [--prefix <text>]
                   [--from <date>] [--to <date>] [--meta key=value]... [--data '<json>'] [--dry-run]
  e.g. weft runs cancel --status running --workflow nightly-report --dry-run

Options:
  --status <list>    pending, running, waiting, suspended, success, failed, canceled (comma-separated)
  --from, --to       creation time: an ISO date or epoch milliseconds
  --tag <list>       runs carrying every one of these tags (comma-separated)
  --meta <key=value> runs with this value of a searchable metadata key (repeatable)
  --page <n>         page number, from 0 (newest runs first)
  --per-page <n>     runs per page, 1 to 1000 (default 50)
  --step <id>        resume: the suspended step (needed when several are suspended);
                     rerun: the step a new run executes from (the run itself is kept unchanged)
  --input <json>     rerun: new input for that step
  --data <json>      the resume data
  --wait             wait until the run settles and print its outcome (exit 1 if it failed)
  --workflow <id>    for show/resume/retry/cancel/rerun: skip looking the run's workflow up; in bulk, a filter
  --prefix <text>    runs whose id starts with this
  --meta key=value   runs started with this metadata value (repeatable)
  --dry-run          bulk: count the runs the action would apply to, change nothing
  --batch-size <n>   bulk: runs per batch, 1 to 1000 (default 100)
  --cursor <c>       bulk: continue an interrupted action from the cursor it printed
${COMMON}

${REMOTE}`,

  events: `weft events — send events to a server

Usage:
  weft events send <name> [--key <key>] [--data '<json>'] [--id <id>]
  weft events send <name> --run <runId> [--data '<json>']

Sends an event: every run waiting for it (a .waitForEvent with this name, and this key when the wait
matches one) gets it, runs that reach such a wait later get it too (within the server's events window),
and the workflows it triggers start. With --run, only that run's waits get it.

Options:
  --key <key>        the correlation key
  --data <json>      the event's data
  --id <id>          idempotency key: an event with this id is sent once
  --run <runId>      send to this run only
${COMMON}

${REMOTE}`,

  migrate: `weft migrate — bring the store's schema up to date

Usage: weft migrate [--db <file> | --database-url <pg>]

Lists the migrations it applied (none when the store was up to date). Every store also migrates when
it opens; this is for deploy scripts that migrate before starting workers.

${STORE}
${COMMON}`,

  check: `weft check — which unfinished runs new code would break, before you deploy it

Usage: weft check --workflows <module> [--workflow <id>]... [--all] [--db <file> | --database-url <pg>]

Options:
  --workflows <module>  the new code: a module exporting \`workflows\` (or a default registry)
  --workflow <id>       only runs of this workflow (repeatable)
  --all                 list the runs that continue too, not only those that break
${COMMON}

Compares the journal of every unfinished run (pending, running, waiting, suspended, paused) with the
module's workflows without executing any step, and reports per workflow and per run whether it can
continue, or the first journal path where it diverges and why (removed, renamed, moved, inserted,
kind-changed, schema). A run on the very definition it started with is not even read. Runs of a
workflow the module lacks are reported too. Exit 1 when any run would break, so CI can gate on it.
Opening the store migrates it, as every command that opens one does.

${STORE}`,

  prune: `weft prune — delete finished runs older than a duration

Usage: weft prune --older-than <duration> [--dry-run] [--db <file> | --database-url <pg>]

Options:
  --older-than <d>   90s, 15m, 12h, 30d, 2w: runs last updated longer ago than this
  --dry-run          count what would be deleted, delete nothing
${COMMON}

Deletes runs whose status is success, failed or canceled, with their journals. Active and suspended
runs are never pruned. Shows progress on a terminal.

${STORE}`,
};

/** The help of a command, or undefined when there is no such command. */
export function commandHelp(name: string): string | undefined {
  const text = COMMANDS[name === 'ls' ? 'runs' : name];
  return text === undefined ? undefined : `${text}\n\n${EXITS}\n`;
}
