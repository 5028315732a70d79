import { Weft } from '../../index.js';
import type { CheckReport, RunCheck } from '../../index.js';
import { describeFingerprint } from '../../engine/check-runs.js';
import { fingerprintOf } from '../../engine/fingerprint.js';
import { EXIT, STORE, UsageError, parse, str } from '../args.js';
import { storeTarget } from '../connect.js';
import { color, printJson } from '../output.js';
import { Progress } from '../progress.js';
import { loadRegistry } from '../workflows-module.js';
import { openStore } from './maintenance.js';

const OPTIONS = {
  ...STORE,
  workflows: { type: 'string' as const },
  workflow: { type: 'string' as const, multiple: true },
  all: { type: 'boolean' as const, default: false },
};

/** How many breaking runs the text output lists per workflow (--json lists them all). */
const SHOWN = 20;

function runLine(r: RunCheck): string {
  const where = r.verdict === 'unregistered' ? 'no definition of its workflow in this module' : r.verdict === 'continues' ? 'continues' : `breaks at "${r.path}" (${r.reason}): ${r.message}`;
  return `    ${r.runId}  ${r.status.padEnd(9)}  ${r.verdict === 'continues' ? color.green(where) : color.red(where)}`;
}

function printReport(report: CheckReport, modulePath: string, describe: string): void {
  const out: string[] = [];
  const wfCount = report.workflows.length;
  out.push(`checked ${report.runs} unfinished run${report.runs === 1 ? '' : 's'} of ${wfCount} workflow${wfCount === 1 ? '' : 's'} in ${describe} against ${modulePath}`);
  for (const w of report.workflows) {
    const versions = w.versions.map((v) => describeFingerprint(v.fingerprint)).join(', ');
    out.push('');
    if (!w.registered) {
      out.push(`  ${color.bold(w.workflowId)}  ${color.red(`not in this module: ${w.runs} run${w.runs === 1 ? '' : 's'} would wait for a worker that has it`)}`);
    } else {
      const verdict = w.diverges === 0 ? color.green(`all ${w.runs} continue`) : `${w.continues} continue, ${color.red(`${w.diverges} break`)}`;
      out.push(`  ${color.bold(w.workflowId)}  ${versions}  ${w.runs} run${w.runs === 1 ? '' : 's'}: ${verdict}`);
    }
    for (const [fp, n] of Object.entries(w.byFingerprint)) out.push(color.dim(`    ${n} started on ${describeFingerprint(fp === 'none' ? null : fp)}`));
    const problems = report.problems.filter((p) => p.workflowId === w.workflowId);
    for (const p of problems.slice(0, SHOWN)) out.push(runLine(p));
    if (problems.length > SHOWN) out.push(color.dim(`    … and ${problems.length - SHOWN} more (--json lists every run)`));
    for (const c of report.continuing?.filter((p) => p.workflowId === w.workflowId) ?? []) out.push(runLine(c));
  }
  out.push('');
  const broken = report.diverges + report.unregistered;
  out.push(report.ok ? color.green('every unfinished run can continue on this code') : color.red(`${broken} run${broken === 1 ? '' : 's'} would break on this code`));
  process.stdout.write(`${out.join('\n')}\n`);
}

/**
 * `weft check --workflows <module>`: every unfinished run in the store compared with the module's
 * workflows, without executing any step. Exit 1 when any would break (CI gates a deploy on it).
 */
export async function check(argv: string[]): Promise<number> {
  const { values } = parse(argv, OPTIONS, 'check');
  const modulePath = str(values, 'workflows');
  if (!modulePath) throw new UsageError('check needs --workflows <module> (the new code: a module exporting `workflows` or a default registry)', 'check');
  const only = values.workflow as string[] | undefined;
  const workflows = await loadRegistry(modulePath);
  const target = storeTarget(values);
  // No worker: a check never claims or executes a run.
  const weft = new Weft({ workflows, store: openStore(target), worker: false });
  const progress = new Progress(!values.json);
  progress.update(`checking unfinished runs in ${target.describe}…`, true);
  let report: CheckReport;
  try {
    report = await weft.check({ ...(only && only.length > 0 ? { workflowIds: only } : {}), all: values.all === true });
  } finally {
    progress.done();
    await weft.stop({ timeoutMs: 1000 });
  }
  if (values.json) {
    const registered = Object.values(workflows).map((w) => ({ workflowId: w.id, version: w.version ?? null, fingerprint: fingerprintOf(w) }));
    printJson({ ...report, module: { path: modulePath, workflows: registered } });
  } else printReport(report, modulePath, target.describe);
  return report.ok ? EXIT.ok : EXIT.failed;
}
