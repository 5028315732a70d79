#!/usr/bin/env node
// Benchmark orchestrator: runs every engine x scenario in its own fresh child process, one at a time,
// collects the one-line JSON results, prints a table and the ratios of weft to each peer, and writes
// results/latest.json (results/smoke.json for --smoke).
//
//   node run.mjs [--smoke] [--only a,b] [--engines weft-sqlite,mastra-libsql] [--out file.json]
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { ENGINES, SCENARIOS, SCENARIO_TITLES, supportOf } from './lib/engines.mjs';
import { SIZES } from './lib/sizes.mjs';

const RESULT_PREFIX = '@@BENCH_RESULT ';
const here = new URL('.', import.meta.url).pathname;

const { values: opts } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    engines: { type: 'string' },
    out: { type: 'string' },
    timeout: { type: 'string' }, // per child process, seconds
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log('usage: node run.mjs [--smoke] [--only a,b,...] [--engines e1,e2,...] [--out file.json] [--timeout seconds]');
  console.log(`engines: ${ENGINES.map((e) => e.name).join(', ')}`);
  console.log(`scenarios: ${SCENARIOS.map((s) => `${s} (${SCENARIO_TITLES[s]})`).join(', ')}`);
  process.exit(0);
}

const scenarios = opts.only ? opts.only.split(',').map((s) => s.trim()) : SCENARIOS;
const engineNames = opts.engines ? opts.engines.split(',').map((s) => s.trim()) : ENGINES.map((e) => e.name);
for (const s of scenarios) if (!SCENARIOS.includes(s)) fail(`unknown scenario "${s}" (known: ${SCENARIOS.join(',')})`);
for (const e of engineNames) if (!ENGINES.some((x) => x.name === e)) fail(`unknown engine "${e}" (known: ${ENGINES.map((x) => x.name).join(',')})`);
const timeoutMs = opts.timeout ? Number(opts.timeout) * 1000 : opts.smoke ? 90_000 : 45 * 60_000;

function fail(msg) {
  console.error(msg);
  process.exit(2);
}

// The metrics shown per scenario; `better` says which direction wins, `ratio` marks the ones compared.
const METRICS = {
  a: [
    { key: 'runP50Ms', label: 'run p50 ms', better: 'lower' },
    { key: 'runP99Ms', label: 'run p99 ms', better: 'lower' },
    { key: 'stepP50Us', label: 'per-step p50 µs', better: 'lower', ratio: true },
    { key: 'stepP99Us', label: 'per-step p99 µs', better: 'lower' },
    { key: 'insertP50Us', label: 'one autocommit insert p50 µs (same server, between the runs)' },
    { key: 'stepOverInsert', label: 'per-step p50 / insert p50' },
  ],
  b: [
    { key: 'stepsPerSec', label: 'steps/s', better: 'higher', ratio: true },
    { key: 'runP99Ms', label: 'run p99 ms', better: 'lower' },
    { key: 'bytesPerStep', label: 'store bytes/step', better: 'lower' },
  ],
  c: [
    { key: 'runs', label: 'runs' },
    { key: 'ackP50Ms', label: 'ack p50 ms', better: 'lower' },
    { key: 'ackP99Ms', label: 'ack p99 ms', better: 'lower', ratio: true },
    { key: 'allFinishedMs', label: 'all finished ms', better: 'lower', ratio: true },
  ],
  d: [
    { key: 'items', label: 'items' },
    { key: 'runMs', label: 'run ms', better: 'lower', ratio: true },
    { key: 'itemsPerSec', label: 'items/s', better: 'higher' },
  ],
  e: [
    { key: 'runs', label: 'sleeping runs' },
    { key: 'startMs', label: 'time to start all ms', better: 'lower' },
    { key: 'startRunsPerSec', label: 'starts/s' },
    { key: 'oneByOneRunsPerSec', label: 'one-by-one starts/s (sample, beside startMany)' },
    { key: 'rssAfterStartMB', label: 'RSS MB right after the starts', better: 'lower' },
    // Compared on settled RSS: the growth per run over the process's starting RSS is near zero for an
    // engine whose runs live in the database, which turns its ratio into noise (20,000x and more).
    { key: 'rssMB', label: 'RSS MB, settled (15 s later)', better: 'lower', ratio: true },
    { key: 'heapUsedMB', label: 'heap used MB, settled', better: 'lower' },
    { key: 'bytesPerRun', label: 'RSS bytes/run', better: 'lower' },
  ],
  f: [
    { key: 'runs', label: 'runs in store' },
    { key: 'seedMs', label: 'seeding ms' },
    { key: 'firstPageP50Ms', label: 'first page p50 ms', better: 'lower', ratio: true },
    { key: 'statusPageP50Ms', label: 'status page p50 ms', better: 'lower', ratio: true },
    { key: 'resourcePageP50Ms', label: 'resource page p50 ms', better: 'lower', ratio: true },
  ],
  s: [
    { key: 'runs', label: 'runs in store' },
    { key: 'seedMs', label: 'seeding ms' },
    { key: 'customerPageP50Ms', label: 'customer page p50 ms', better: 'lower' },
    { key: 'customerPageP99Ms', label: 'customer page p99 ms', better: 'lower' },
    { key: 'customerStatusPageP50Ms', label: 'customer+status page p50 ms', better: 'lower' },
    { key: 'tagPageP50Ms', label: 'tag page p50 ms (10k matches)', better: 'lower' },
    { key: 'tagPageP99Ms', label: 'tag page p99 ms', better: 'lower' },
    { key: 'tagNoMatchPageP50Ms', label: 'tag+plan, no match p50 ms', better: 'lower' },
  ],
  j: [
    { key: 'runsPerSec', label: 'runs/s', better: 'higher' },
    { key: 'stepsPerSec', label: 'steps/s', better: 'higher' },
    { key: 'runP99Ms', label: 'run p99 ms', better: 'lower' },
  ],
  h: [
    { key: 'turns', label: 'turns' },
    { key: 'runMs', label: 'run ms', better: 'lower', ratio: true },
    { key: 'storeMB', label: 'store MB after the run', better: 'lower', ratio: true },
    { key: 'bytesPerTurn', label: 'store bytes/turn', better: 'lower' },
  ],
  g: [
    { key: 'runs', label: 'runs in flight' },
    { key: 'recoveredInFreshProcess', label: 'finished after restart' },
    { key: 'recoverMs', label: 'restart → all finished ms', better: 'lower', ratio: true },
  ],
  l: [{ key: 'importMs', label: 'import ms (median)', better: 'lower', ratio: true }, { key: 'importMinMs', label: 'import ms (min)' }],
  k: [
    { key: 'workers1StepsPerSec', label: '1 worker steps/s' },
    { key: 'workers2StepsPerSec', label: '2 workers steps/s (sum)' },
    { key: 'workers4StepsPerSec', label: '4 workers steps/s (sum)' },
    { key: 'workers2OverOne', label: '2 workers / 1' },
    { key: 'workers4OverOne', label: '4 workers / 1' },
  ],
  i: [
    { key: 'runs', label: 'waiting runs' },
    { key: 'seedMs', label: 'time to park them all ms' },
    { key: 'sendP50Ms', label: 'send (match + deliver) p50 ms', better: 'lower', ratio: true },
    { key: 'sendP99Ms', label: 'send p99 ms', better: 'lower' },
  ],
};

function fmt(v) {
  if (typeof v === 'string') return v;
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1000 || Number.isInteger(v)) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

function headline(r) {
  const ms = METRICS[r.scenario] ?? [];
  return ms.map((m) => `${m.label} ${fmt(r[m.key])}`).join(', ');
}

// ---- run ------------------------------------------------------------------------------------------

function runChild(engine, scenario) {
  return new Promise((resolve) => {
    const args = ['--expose-gc', `${here}engines/${engine}.mjs`, '--scenario', scenario];
    if (opts.smoke) args.push('--smoke');
    const t0 = performance.now();
    // detached: the child leads its own process group, so a timeout also ends the processes it spawned
    const child = spawn(process.execPath, args, { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err = (err + d).slice(-20_000)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - t0;
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (line) {
        try {
          return resolve({ ...JSON.parse(line.slice(RESULT_PREFIX.length)), wallMs });
        } catch {
          /* fall through */
        }
      }
      const why = timedOut
        ? `timeout after ${timeoutMs / 1000} s`
        : `exited ${code ?? signal} without a result: ${lastLine(err) || lastLine(out) || 'no output'}`;
      resolve({ engine, scenario, ok: false, error: why, wallMs });
    });
  });
}

const lastLine = (s) =>
  s
    .trim()
    .split('\n')
    .filter((l) => l.trim() && !/DeprecationWarning|--trace-deprecation|^\s+at /.test(l))
    .pop()
    ?.trim()
    .slice(0, 300);

const results = [];
const started = Date.now();
for (const scenario of scenarios) {
  for (const engine of engineNames) {
    const support = supportOf(engine, scenario);
    if (support !== true) {
      results.push({ engine, scenario, ok: false, unsupported: true, error: support });
      continue;
    }
    process.stderr.write(`${scenario} ${engine.padEnd(14)} ... `);
    let r = await runChild(engine, scenario);
    if (!r.ok && opts.smoke) {
      // The smoke run checks that the harness works, not timing: one retry keeps a passing hiccup of
      // the shared machine (a peer's start-up, a database drop) from failing CI. A real breakage fails twice.
      process.stderr.write(`error: ${r.error}; retrying once ... `);
      r = await runChild(engine, scenario);
    }
    delete r.stack;
    results.push(r);
    process.stderr.write(`${r.ok ? headline(r) : `error: ${r.error}`} (${(r.wallMs / 1000).toFixed(1)} s)\n`);
  }
}

// ---- report ---------------------------------------------------------------------------------------

function cell(r, m) {
  if (!r) return '';
  if (!r.ok) return r.unsupported ? 'unsupported' : 'error';
  return fmt(r[m.key]);
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.min(60, Math.max(...rows.map((r) => String(r[i]).length))));
  const line = (r) => '| ' + r.map((c, i) => String(c).slice(0, 60).padEnd(widths[i])).join(' | ') + ' |';
  return [line(rows[0]), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.slice(1).map(line)].join('\n');
}

const byKey = new Map(results.map((r) => [`${r.engine}/${r.scenario}`, r]));
const report = [];
for (const s of scenarios) {
  report.push(`\n### ${s}: ${SCENARIO_TITLES[s]}`);
  const rows = [['metric', ...engineNames]];
  for (const m of METRICS[s]) rows.push([m.label, ...engineNames.map((e) => cell(byKey.get(`${e}/${s}`), m))]);
  report.push(table(rows));
  const notes = engineNames
    .map((e) => byKey.get(`${e}/${s}`))
    .filter((r) => r && (!r.ok || r.note || r.emulated || typeof r.confirmedWaiting === 'string'))
    .map((r) =>
      r.ok
        ? `- ${r.engine}: ${[r.note, r.emulated, typeof r.confirmedWaiting === 'string' ? r.confirmedWaiting : undefined].filter(Boolean).join('; ')}`
        : `- ${r.engine}: ${r.unsupported ? r.error : `error: ${r.error}`}`,
    );
  if (notes.length) report.push(notes.join('\n'));
}

// ratios: > 1 means weft is better by that factor
const ratios = [];
const wefts = engineNames.filter((e) => !ENGINES.find((x) => x.name === e).peer);
const peers = engineNames.filter((e) => ENGINES.find((x) => x.name === e).peer);
for (const s of scenarios) {
  for (const m of METRICS[s].filter((x) => x.ratio)) {
    for (const w of wefts) {
      for (const p of peers) {
        const a = byKey.get(`${w}/${s}`);
        const b = byKey.get(`${p}/${s}`);
        if (!a?.ok || !b?.ok || typeof a[m.key] !== 'number' || typeof b[m.key] !== 'number') continue;
        const factor = m.better === 'higher' ? a[m.key] / b[m.key] : b[m.key] / a[m.key];
        const caveat = a.runs !== undefined && b.runs !== undefined && a.runs !== b.runs ? `weft n=${a.runs}, peer n=${b.runs}` : undefined;
        ratios.push({ scenario: s, metric: m.key, label: m.label, weft: w, peer: p, factor, caveat });
      }
    }
  }
}
if (ratios.length) {
  report.push('\n### weft vs peers (× better; > 1 means weft wins)');
  const rows = [['scenario', 'metric', ...wefts.flatMap((w) => peers.map((p) => `${w} / ${p}`))]];
  const seen = new Set();
  for (const r of ratios) {
    const k = `${r.scenario}/${r.metric}`;
    if (seen.has(k)) continue;
    seen.add(k);
    rows.push([
      r.scenario,
      r.label,
      ...wefts.flatMap((w) =>
        peers.map((p) => {
          const x = ratios.find((y) => y.scenario === r.scenario && y.metric === r.metric && y.weft === w && y.peer === p);
          return x ? `${x.factor >= 10 ? x.factor.toFixed(0) : x.factor.toFixed(2)}x${x.caveat ? '*' : ''}` : '';
        }),
      ),
    ]);
  }
  report.push(table(rows));
  if (ratios.some((r) => r.caveat)) report.push('* the two engines ran with different sizes (see the table above); compare with care');
}

const totalS = ((Date.now() - started) / 1000).toFixed(0);
console.log(`\nweft bench${opts.smoke ? ' (smoke sizes: the numbers mean little)' : ''} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'} · node ${process.version} · ${totalS} s`);
console.log(report.join('\n'));

function peerVersions() {
  const v = {};
  for (const p of ['@mastra/core', '@mastra/libsql', '@dbos-inc/dbos-sdk', 'zod']) {
    try {
      v[p] = JSON.parse(readFileSync(`${here}node_modules/${p}/package.json`, 'utf8')).version;
    } catch {
      v[p] = null;
    }
  }
  return v;
}

const outFile = opts.out ?? `${here}results/${opts.smoke ? 'smoke' : 'latest'}.json`;
mkdirSync(new URL('results/', import.meta.url).pathname, { recursive: true });
writeFileSync(
  outFile,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
      smoke: opts.smoke,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGB: +(os.totalmem() / 2 ** 30).toFixed(1),
        platform: `${os.platform()} ${os.release()}`,
        node: process.version,
      },
      versions: peerVersions(),
      sizes: SIZES[opts.smoke ? 'smoke' : 'full'],
      totalSeconds: Number(totalS),
      results,
      ratios,
    },
    null,
    2,
  ) + '\n',
);
console.log(`\nwrote ${outFile}`);
const errors = results.filter((r) => !r.ok && !r.unsupported);
process.exitCode = opts.smoke && errors.length ? 1 : 0;
