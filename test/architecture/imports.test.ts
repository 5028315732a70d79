import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The module graph of src/, read from the import statements (type-only imports included: a type cycle
 * is a join as tight as a value cycle). It enforces what docs/architecture.md draws: no cycles, and
 * imports only go down the layers.
 */
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/g;

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const file of files(SRC)) {
    const text = readFileSync(file, 'utf8');
    const deps: string[] = [];
    for (const m of text.matchAll(IMPORT)) deps.push(relative(SRC, resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'))));
    g.set(relative(SRC, file), deps);
  }
  return g;
}

function cycles(g: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const d of g.get(n) ?? []) {
      if (state.get(d) === 'open') found.push([...stack.slice(stack.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of g.keys()) if (!state.has(n)) visit(n);
  return found;
}

/** Layers, bottom first: a module may import its own layer and the ones below, never above. */
const LAYERS: [string, number][] = [
  ['errors.ts', 0],
  ['errors/', 0],
  ['domain/', 0],
  ['define/', 1],
  ['store/', 1],
  ['wire/', 2],
  ['worker/', 2],
  ['engine/', 3],
  ['testing/', 4],
  ['client/', 4],
  ['server/', 5],
  ['index.ts', 5],
  // The example workflows are user code: they import the package root, as a user's module would.
  ['examples/', 6],
  ['cli/', 7],
];

function layerOf(file: string): number {
  const hit = LAYERS.find(([prefix]) => file === prefix || file.startsWith(prefix));
  if (!hit) throw new Error(`no layer for ${file}: add it to LAYERS and docs/architecture.md`);
  return hit[1];
}

describe('architecture', () => {
  const g = graph();

  it('src/ has no import cycles (type-only imports included)', () => {
    expect(cycles(g).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('imports only go down the layers', () => {
    const upward: string[] = [];
    for (const [file, deps] of g) {
      for (const d of deps) if (layerOf(d) > layerOf(file)) upward.push(`${file} -> ${d}`);
    }
    expect(upward).toEqual([]);
  });

  it('define/ and store/ do not know each other, and nothing below the engine imports it', () => {
    const bad: string[] = [];
    for (const [file, deps] of g) {
      for (const d of deps) {
        if (file.startsWith('define/') && d.startsWith('store/')) bad.push(`${file} -> ${d}`);
        if (file.startsWith('store/') && d.startsWith('define/')) bad.push(`${file} -> ${d}`);
        if (!file.startsWith('engine/') && layerOf(file) < 3 && d.startsWith('engine/')) bad.push(`${file} -> ${d}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the client ships no engine, store or server code (type imports aside)', () => {
    const bad: string[] = [];
    for (const file of files(join(SRC, 'client'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:^|\n)\s*(import|export)\s(?!type\b)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
        const target = relative(SRC, resolve(dirname(file), m[2]!));
        if (/^(engine|store|server|worker|define)\//.test(target)) bad.push(`${relative(SRC, file)} -> ${target}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
