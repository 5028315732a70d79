import { InvalidStepInputError, WorkflowDefinitionError } from '../errors.js';
import type { MapFn } from './graph.js';
import type { AnySchema, InferOut } from './schema.js';
import type { StepContext } from './types.js';

/**
 * The object form of `.map()` (Mastra's mapping config), compiled at definition time into the plain
 * function a map node runs. The interpreter sees only that function: it runs it once and records the
 * object it returns in the journal, so a replay gets the recorded value, exactly as for `.map(fn)`.
 *
 * Each key takes one source:
 * - `{ step, path }`: a path into the output of a step (or the first of several that has an output);
 * - `{ initData, path }`: a path into the input of the workflow (scope);
 * - `{ value, schema }`: a constant;
 * - `{ requestContextPath, schema }`: a request-context entry;
 * - `{ fn, schema }`: a function of the step context;
 * - `{ template }`: a string with `${inputData.a}`, `${initData.a}`, `${state.a}`,
 *   `${requestContext.key}` or `${stepResults.<stepId>.a}` placeholders.
 * Paths are dotted (`a.b.0.c`); `'.'` or `''` is the whole value. Schemas type the key; as in Mastra,
 * the value is not validated against them (the next step validates its input).
 */

/** Something standing where a step goes (a step or a workflow), seen only through its id and output type. */
export interface MapStepRef {
  readonly id: string;
  readonly __out?: unknown;
}

/** A workflow whose input `{ initData }` refers to. */
export interface MapWorkflowRef {
  readonly component: 'WORKFLOW';
  readonly id: string;
  readonly __in?: unknown;
}

export type MapEntry<TPrev = any, TState = any> =
  | { step: MapStepRef | readonly MapStepRef[]; path: string }
  | { initData: MapWorkflowRef; path: string }
  | { value: unknown; schema?: AnySchema }
  | { requestContextPath: string; schema?: AnySchema }
  | { fn: (ctx: StepContext<TPrev, TState>) => unknown; schema?: AnySchema }
  | { template: string };

export type MapConfig<TPrev = any, TState = any> = Record<string, MapEntry<TPrev, TState>>;

/** Options of `.map()`: a stable id (the node's journal key and result key), description and metadata. */
export interface MapOptions {
  id?: string | null;
  description?: string;
  metadata?: Record<string, unknown>;
}

// ---- types ------------------------------------------------------------------------------------------

type IsAny<T> = 0 extends 1 & T ? true : false;
type StepOut<S> = S extends readonly (infer E)[] ? StepOut<E> : S extends { __out?: infer O } ? O : any;
type WorkflowIn<W> = W extends { __in?: infer I } ? I : any;

/** `T[K]`, where K is a path segment: a numeric segment indexes an array. Unknown segments give `any`. */
type Segment<T, K extends string> = T extends readonly (infer E)[] ? (K extends `${number}` ? E : any) : K extends keyof T ? T[K] : any;

/** The type at dotted path P of T (`any` when P is not a literal or not a path of T). */
export type PathValue<T, P extends string> =
  IsAny<T> extends true
    ? any
    : P extends '' | '.'
      ? T
      : P extends `${infer K}.${infer R}`
        ? PathValue<Segment<NonNullable<T>, K>, R>
        : Segment<NonNullable<T>, P>;

type Depth = [never, 0, 1, 2, 3, 4];
type Leaf = Date | RegExp | ((...args: any[]) => unknown);

/** The dotted paths of T (to 5 levels), as `mapVariable` accepts them. */
export type PathsOf<T, D extends number = 5> = [D] extends [never]
  ? never
  : IsAny<T> extends true
    ? string
    : unknown extends T
      ? string
      : T extends Leaf
        ? never
        : T extends readonly (infer E)[]
          ? `${number}` | `${number}.${PathsOf<NonNullable<E>, Depth[D]>}`
          : T extends object
            ? { [K in keyof T & string]: K | `${K}.${PathsOf<NonNullable<T[K]>, Depth[D]>}` }[keyof T & string]
            : never;

type Typed<E, Fallback> = E extends { schema: infer S extends AnySchema } ? InferOut<S> : Fallback;

/** The type one mapping entry gives its key. */
export type MapEntryOutput<E> = E extends { value: infer V }
  ? Typed<E, V>
  : E extends { fn: (...args: any[]) => infer R }
    ? Typed<E, Awaited<R>>
    : E extends { template: string }
      ? string
      : E extends { requestContextPath: string }
        ? Typed<E, any>
        : E extends { initData: infer W; path: infer P extends string }
          ? PathValue<WorkflowIn<W>, P>
          : E extends { step: infer S; path: infer P extends string }
            ? PathValue<StepOut<S>, P>
            : any;

/** The object a mapping config produces. */
export type MapOutput<M> = { -readonly [K in keyof M]: MapEntryOutput<M[K]> };

/**
 * Names a step output path or a workflow input path for `.map({ key: mapVariable(...) })`. It returns
 * its argument; what it adds is the type check of `path` against the step's output (or the workflow's
 * input) schema.
 */
export function mapVariable<S extends MapStepRef, P extends PathsOf<StepOut<S>> | '.'>(config: { step: S; path: P }): { step: S; path: P };
export function mapVariable<W extends MapWorkflowRef, P extends PathsOf<WorkflowIn<W>> | '.'>(config: {
  initData: W;
  path: P;
}): { initData: W; path: P };
export function mapVariable(config: { path: string }): { path: string } {
  return config;
}

// ---- compilation ------------------------------------------------------------------------------------

type Resolver = (ctx: StepContext) => unknown;

/**
 * Checks a mapping config (throwing WorkflowDefinitionError, prefixed by `where`) and compiles it into
 * the function the map node runs.
 */
export function compileMapConfig(config: unknown, where: string): MapFn {
  const fail = (msg: string) => new WorkflowDefinitionError(`${where}: ${msg}`);
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw fail('map needs a function or an object of { key: mapping }');
  }
  const resolvers: [string, Resolver][] = Object.entries(config).map(([key, entry]) => {
    try {
      return [key, compileEntry(entry)];
    } catch (err) {
      if (err instanceof MapDefinitionProblem) throw fail(err.keyed ? `map key "${key}": ${err.message}` : err.message);
      throw err;
    }
  });
  return async (ctx) => {
    const out: Record<string, unknown> = {};
    for (const [key, resolve] of resolvers) {
      const value = await resolve(ctx);
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
}

/** A problem found in one entry; `keyed` ones get the key named, template ones carry Mastra's text as is. */
class MapDefinitionProblem extends Error {
  constructor(
    message: string,
    readonly keyed = true,
  ) {
    super(message);
  }
}

const FORMS =
  'use one of { step, path }, { initData, path }, { value, schema }, { requestContextPath, schema }, { fn, schema } or { template }';

function compileEntry(entry: unknown): Resolver {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new MapDefinitionProblem(FORMS);
  const m = entry as Record<string, unknown>;
  // The order of the checks is Mastra's: the first source present wins.
  if (m.value !== undefined) {
    const value = m.value;
    return () => value;
  }
  if (m.fn !== undefined) {
    const fn = m.fn;
    if (typeof fn !== 'function') throw new MapDefinitionProblem('fn must be a function of the step context');
    return (ctx) => fn(ctx);
  }
  if (typeof m.template === 'string') {
    const template = m.template;
    validateTemplate(template);
    return (ctx) => resolveTemplate(template, ctx);
  }
  if (m.requestContextPath !== undefined && m.requestContextPath !== '') {
    const key = m.requestContextPath;
    if (typeof key !== 'string') throw new MapDefinitionProblem('requestContextPath must be a string');
    return (ctx) => ctx.requestContext.get(key);
  }
  if (m.initData !== undefined && m.initData !== null && m.initData !== false) {
    const path = checkPath(m.path);
    return (ctx) => traversePath(ctx.getInitData(), path, 'initData');
  }
  if (m.step !== undefined && m.step !== null) {
    const path = checkPath(m.path);
    const ids = stepIds(m.step);
    const label = `step ${ids.join('|')}`;
    if (ids.length === 1) {
      const id = ids[0]!;
      return (ctx) => traversePath(ctx.getStepResult(id), path, label);
    }
    return (ctx) => {
      const id = ids.find((s) => ctx.getStepResult(s) !== null);
      return traversePath(id === undefined ? null : ctx.getStepResult(id), path, label);
    };
  }
  throw new MapDefinitionProblem(FORMS);
}

function checkPath(path: unknown): string {
  if (typeof path !== 'string') throw new MapDefinitionProblem(`path must be a dotted path string ('.' for the whole value)`);
  return path;
}

function stepIds(step: unknown): string[] {
  const list = Array.isArray(step) ? step : [step];
  if (list.length === 0) throw new MapDefinitionProblem('step needs a step or a non-empty array of steps');
  return list.map((s) => {
    if (typeof s === 'string' && s) return s;
    const id = s !== null && typeof s === 'object' ? (s as { id?: unknown }).id : undefined;
    if (typeof id !== 'string' || !id) throw new MapDefinitionProblem('step must be a step, a workflow or an array of them');
    return id;
  });
}

/** Walks a dotted path; `''` or `'.'` is the root. A segment under a non-object is an error. */
function traversePath(root: unknown, path: string, label: string): unknown {
  if (path === '' || path === '.') return root;
  let value: unknown = root;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') throw new InvalidStepInputError(`Invalid path ${path} in ${label}`);
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

// ---- templates -----------------------------------------------------------------------------------

const PLACEHOLDER = /\$\{([^}]*)\}/g;
const NAMESPACES = ['inputData', 'initData', 'state', 'requestContext', 'stepResults'] as const;

function placeholderLabel(template: string, n: number, expr: string): string {
  return `Template placeholder #${n} (\${${expr}}) in '${template}'`;
}

/** `scope.rest.of.path` -> scope and the rest ('' when there is none). */
function splitFirst(expr: string): [string, string] {
  const dot = expr.indexOf('.');
  return dot === -1 ? [expr, ''] : [expr.slice(0, dot), expr.slice(dot + 1)];
}

/** Definition-time syntax check of a template (Mastra's checks and messages). */
export function validateTemplate(template: string): void {
  let n = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    n++;
    const expr = match[1] ?? '';
    const label = placeholderLabel(template, n, expr);
    if (expr.length === 0 || expr !== expr.trim()) {
      throw new MapDefinitionProblem(`${label} has empty or whitespace-padded contents. Use \${<scope>.<path>} with no surrounding whitespace.`, false);
    }
    const [scope, rest] = splitFirst(expr);
    if (scope === 'stepResults') {
      if (!splitFirst(rest)[0]) {
        throw new MapDefinitionProblem(`${label} must be of the form \${stepResults.<stepId>} or \${stepResults.<stepId>.<path>}.`, false);
      }
    } else if (scope === 'requestContext') {
      if (!rest) throw new MapDefinitionProblem(`${label} requires a request-context key — use \${requestContext.<key>}.`, false);
    } else if (!(NAMESPACES as readonly string[]).includes(scope)) {
      throw new MapDefinitionProblem(`${label} references unknown namespace "${scope}". Use one of: ${NAMESPACES.join(', ')}.`, false);
    }
  }
}

/**
 * Renders a template against the step context. `null`/`undefined` render as '', objects and arrays as
 * JSON (as in Mastra 1.71), everything else through String().
 */
export function resolveTemplate(template: string, ctx: StepContext): string {
  let n = 0;
  return template.replace(PLACEHOLDER, (_all, expr: string) => {
    n++;
    const label = placeholderLabel(template, n, expr);
    const [scope, rest] = splitFirst(expr);
    let value: unknown;
    switch (scope) {
      case 'inputData':
        value = traversePath(ctx.inputData, rest, label);
        break;
      case 'initData':
        value = traversePath(ctx.getInitData(), rest, label);
        break;
      case 'state':
        value = traversePath(ctx.state, rest, label);
        break;
      case 'requestContext':
        value = ctx.requestContext.get(rest);
        break;
      case 'stepResults': {
        const [stepId, path] = splitFirst(rest);
        const output = ctx.getStepResult(stepId);
        if (output === null || output === undefined) {
          throw new InvalidStepInputError(
            `${label} references stepResults.${stepId} but step "${stepId}" has no successful output (not run yet, not registered, failed, or produced no output).`,
          );
        }
        value = traversePath(output, path, label);
        break;
      }
      default:
        throw new InvalidStepInputError(`${label} references unknown namespace "${scope}". Use one of: ${NAMESPACES.join(', ')}.`);
    }
    return stringify(value, label, expr);
  });
}

function stringify(v: unknown, label: string, expr: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  try {
    return JSON.stringify(v);
  } catch (err) {
    throw new InvalidStepInputError(
      `${label} resolved to a value that could not be JSON-stringified (${(err as Error).message}). Drill into a primitive path (e.g. \${${expr}.someField}) or reshape the value in a preceding step.`,
    );
  }
}
