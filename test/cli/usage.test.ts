import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt, weft } from './helpers.js';

/** Help, version and usage errors: nothing here needs a server or a store. */

beforeAll(() => ensureBuilt(), 120_000);

describe('help and version', () => {
  it('prints each command its own help, by --help, -h or `weft help <command>`', async () => {
    const global = await weft(['--help']);
    expect(global.code).toBe(0);
    expect(global.stdout).toContain('Run `weft <command> --help`');
    const cases = [
      [['serve', '--help'], 'weft serve — '],
      [['dev', '-h'], 'weft dev — '],
      [['start', '--help'], 'weft start — '],
      [['runs', '--help'], 'weft runs — '],
      [['runs', 'list', '--help'], 'weft runs — '],
      [['help', 'runs'], 'weft runs — '],
      [['help', 'migrate'], 'weft migrate — '],
      [['prune', '--help'], 'weft prune — '],
    ] as const;
    const results = await Promise.all(cases.map(([args]) => weft([...args])));
    cases.forEach(([args, title], i) => {
      const r = results[i]!;
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout.startsWith(title), `${args.join(' ')}: ${r.stdout.slice(0, 60)}`).toBe(true);
      expect(r.stdout).not.toContain('Commands:');
    });
    expect(results[0]!.stdout).toContain('--workflows <module>');
    expect(results[3]!.stdout).toContain('retry <runId> [--wait]');
  }, 60_000);

  it('an unknown command or help topic is a usage error that lists the commands', async () => {
    for (const args of [['frobnicate'], ['help', 'frobnicate']]) {
      const r = await weft(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('dev, serve, start, runs, events, migrate, prune');
    }
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const r = await weft([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });
});

describe('usage errors exit 2 with a message that says what to type', () => {
  it('--page -1 (a negative number after an option) is checked as a number, not rejected by the parser', async () => {
    const r = await weft(['runs', 'list', '--page', '-1', '--url', 'http://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--page must be a whole number >= 0');
    expect(r.stderr).not.toContain('ambiguous');
    expect(r.stderr).toContain('weft runs list --help');
    const more = [['--page', 'x'], ['--page=1.5'], ['--per-page', '0'], ['--per-page', '1001']];
    const codes = await Promise.all(more.map(async (args) => (await weft(['runs', 'list', ...args, '--url', 'http://127.0.0.1:1'])).code));
    expect(codes).toEqual([2, 2, 2, 2]);
  }, 60_000);

  it('--status with an unknown status is a usage error (2), listing the statuses', async () => {
    const r = await weft(['runs', 'list', '--status', 'failed,bogus', '--url', 'http://127.0.0.1:1', '--json']);
    expect(r.code).toBe(2);
    const { error } = JSON.parse(r.stderr) as { error: { code: string; message: string } };
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('"bogus"');
    expect(error.message).toContain('pending, running, waiting, suspended, paused, success, failed, canceled');
  });

  it('unknown options, missing values, stray arguments, bad dates and bad JSON', async () => {
    const cases: [string[], RegExp][] = [
      [['runs', 'list', '--bogus-flag'], /unknown option --bogus-flag/],
      [['start', 'add', '--input'], /--input needs a value/],
      [['runs', 'list', '--json=yes'], /--json takes no value/],
      [['runs', 'list', 'extra'], /unexpected argument "extra"/],
      [['runs', 'list', '--from', 'last tuesday'], /--from must be an ISO date/],
      [['start', 'add', '--input', '{nope'], /--input is not valid JSON/],
      [['start'], /start needs the workflow/],
      [['runs', 'show'], /runs show needs a run id/],
      [['runs', 'frob'], /unknown runs subcommand "frob"/],
      [['serve'], /serve needs --workflows/],
      [['dev', '--port', '70000'], /--port must be a whole number from 0 to 65535/],
      [['prune', '--db', 'x.db'], /prune needs --older-than/],
      [['prune', '--older-than', 'soon', '--db', 'x.db'], /invalid duration "soon"/],
    ];
    // Remote commands get an address nothing listens on: a usage error must fail before any request.
    const results = await Promise.all(cases.map(([args]) => weft(args[0] === 'start' || args[0] === 'runs' ? [...args, '--url', 'http://127.0.0.1:1'] : args)));
    cases.forEach(([args, message], i) => {
      const r = results[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr).toContain('(USAGE)');
    });
  }, 60_000);
});
