/** Human output (tables, aligned columns) and machine output (`--json`). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function table(rows: string[][], header: string[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

export function fmtDate(iso: string | number | undefined): string {
  if (iso === undefined) return '-';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '-' : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '-';
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(2)}s`;
}

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (useColor ? `\u001b[${code}m${s}\u001b[0m` : s);
export const color = { green: paint(32), red: paint(31), yellow: paint(33), blue: paint(34), dim: paint(2), bold: paint(1) };

export function statusText(status: string): string {
  switch (status) {
    case 'success':
      return color.green(status);
    case 'failed':
      return color.red(status);
    case 'suspended':
    case 'waiting':
      return color.yellow(status);
    case 'running':
      return color.blue(status);
    default:
      return color.dim(status);
  }
}
