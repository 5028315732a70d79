import { WeftError } from '../errors.js';

/**
 * The CLI's own failures. Each has a stable `code` (printed, and in `--json` output) and decides the
 * exit code: a usage mistake is 2, anything else 1 (see docs/cli.md).
 */

/** A mistake in the command line itself, found before anything was opened or sent: exit 2. */
export class UsageError extends WeftError {
  /** The command whose help to point at (`weft <command> --help`), when known. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super('USAGE', message);
    this.command = command;
  }
}

/** `dev`/`serve` could not listen because the address is taken. */
export class PortInUseError extends WeftError {
  constructor(host: string, port: number, options?: { cause?: unknown }) {
    super('PORT_IN_USE', `${host}:${port} is already in use (EADDRINUSE); pick another port with --port <n>, or --port 0 for any free one`, options);
  }
}

/** `serve --workflows <module>` could not be loaded, or does not export a registry. */
export class WorkflowsModuleError extends WeftError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BAD_WORKFLOWS_MODULE', message, options);
  }
}

/** `start <workflow>` named a workflow the server does not have; the message lists the ones it has. */
export class UnknownWorkflowError extends WeftError {
  readonly available: string[] | undefined;
  constructor(key: string, available: string[] | undefined) {
    const list = available === undefined ? '' : available.length ? `; the server has: ${available.join(', ')}` : '; the server has no workflows';
    super('WORKFLOW_NOT_FOUND', `no workflow "${key}"${list}`);
    this.available = available;
  }
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The stable code of any error: a WeftError's, a Node system error's (EACCES, ...), else INTERNAL. */
export function codeOf(err: unknown): string {
  if (err instanceof WeftError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'INTERNAL';
}
