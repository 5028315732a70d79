import { durationMs } from '../domain/durations.js';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT, UsageError } from './errors.js';

export { EXIT, UsageError };

type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | undefined>;

/** Options every command accepts. */
export const COMMON: Options = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

/** Options of commands that talk to a running server. */
export const REMOTE: Options = {
  url: { type: 'string' },
  token: { type: 'string' },
};

/** Options of commands that open the store directly. */
export const STORE: Options = {
  db: { type: 'string' },
  'database-url': { type: 'string' },
};

/**
 * parseArgs refuses `--page -1` as ambiguous (the value looks like an option) with a message about its
 * own syntax. Joining such a value to its option (`--page=-1`) lets the command check the number and
 * say what is wrong with it.
 */
function joinDashValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** parseArgs' errors say how to call parseArgs; these say what to type instead. */
function usageMessage(err: Error & { code?: string }): string {
  const quoted = /'(-[^' ,]+)/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? err.message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(err.message)) return `${quoted} takes no value`;
      return `${quoted ?? 'an option'} needs a value`;
    default:
      return err.message;
  }
}

/**
 * Parses a command's arguments. `command` names it in messages (`weft runs list --help`);
 * `maxPositionals` rejects stray words instead of ignoring them.
 */
export function parse(argv: string[], options: Options, command: string, maxPositionals = 0): { values: Values; positionals: string[] } {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: joinDashValues(argv, { ...COMMON, ...options }), options: { ...COMMON, ...options }, allowPositionals: true, strict: true }) as {
      values: Values;
      positionals: string[];
    };
  } catch (err) {
    throw new UsageError(usageMessage(err as Error & { code?: string }), command);
  }
  const extra = parsed.positionals[maxPositionals];
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`, command);
  return parsed;
}

export function str(values: Values, key: string): string | undefined {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
}

/** A whole-number option within [min, max], or undefined when not given. */
export function intOption(values: Values, key: string, command: string, min: number, max = Number.MAX_SAFE_INTEGER, note = ''): number | undefined {
  const text = str(values, key);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${key} must be a whole number ${range}${note}, got "${text}"`, command);
  }
  return n;
}

/** Parses `90s`, `15m`, `12h`, `30d`, `2w` into milliseconds. */
export function parseDuration(text: string, command: string): number {
  const ms = durationMs(text);
  if (ms === null) throw new UsageError(`invalid duration "${text}": use a number and a unit (ms, s, m, h, d, w), e.g. 30d`, command);
  return ms;
}

export function parseJson(text: string, what: string, command: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} is not valid JSON: ${(err as Error).message}`, command);
  }
}

export function parsePort(text: string | undefined, fallback: number, command: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!(/^\d+$/.test(text) && n <= 65535)) throw new UsageError(`--port must be a whole number from 0 to 65535 (0 picks a free port), got "${text}"`, command);
  return n;
}

/** An ISO date or epoch milliseconds (what the API accepts for `from`/`to`). */
export function dateOption(values: Values, key: string, command: string): string | undefined {
  const text = str(values, key);
  if (text === undefined) return undefined;
  const ok = /^\d+$/.test(text) ? Number.isSafeInteger(Number(text)) : !Number.isNaN(Date.parse(text));
  if (!ok) throw new UsageError(`--${key} must be an ISO date (2026-01-31, 2026-01-31T12:00:00Z) or epoch milliseconds, got "${text}"`, command);
  return text;
}
