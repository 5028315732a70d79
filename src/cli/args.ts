import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A usage mistake: printed with a hint, exit code 2. */
export class UsageError extends Error {}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

type Options = NonNullable<ParseArgsConfig['options']>;

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

export function parse(argv: string[], options: Options): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function str(values: Record<string, unknown>, key: string): string | undefined {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `90s`, `15m`, `12h`, `30d`, `2w` into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!m?.[1] || !m[2]) throw new UsageError(`invalid duration "${text}": use a number and a unit (ms, s, m, h, d, w), e.g. 30d`);
  return Number(m[1]) * (UNITS[m[2]] ?? 1);
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

export function parsePort(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!(Number.isInteger(n) && n >= 0 && n <= 65535)) throw new UsageError(`invalid port "${text}"`);
  return n;
}
