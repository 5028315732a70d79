/**
 * A one-line status on stderr that rewrites itself, for long operations (migrate, prune). Only on a
 * terminal and never with --json: piped or scripted output gets the final summary and nothing else.
 */
export class Progress {
  private readonly on: boolean;
  private shown = false;
  private last = 0;

  constructor(enabled: boolean, private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.on = enabled && stream.isTTY === true;
  }

  /** Shows `text`, at most ten times a second unless `force` (the first and last states). */
  update(text: string, force = false): void {
    if (!this.on) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    this.stream.write(`\r\u001b[2K${text}`);
    this.shown = true;
  }

  /** Clears the line, so the summary that follows stands alone. */
  done(): void {
    if (this.shown) this.stream.write('\r\u001b[2K');
    this.shown = false;
  }
}
