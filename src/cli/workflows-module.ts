import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyWorkflow } from '../define/workflow.js';
import { WorkflowsModuleError } from './errors.js';

/**
 * The user's `--workflows <module>` (serve, check): a module exporting `workflows` or a default
 * registry, `{ key: workflow }`.
 */
function isRegistry(v: unknown): v is Record<string, AnyWorkflow> {
  return !!v && typeof v === 'object' && Object.values(v).length > 0 && Object.values(v).every((w) => !!w && typeof w === 'object' && (w as { component?: unknown }).component === 'WORKFLOW');
}

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);

/** Imports the --workflows module; failures say what to do, TypeScript in particular. */
export async function loadRegistry(modulePath: string): Promise<Record<string, AnyWorkflow>> {
  let mod: { workflows?: unknown; default?: unknown };
  try {
    mod = (await import(pathToFileURL(resolve(modulePath)).href)) as typeof mod;
  } catch (err) {
    const reason = (err as Error).message;
    if (TS_EXTENSIONS.has(extname(modulePath)) && (err as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new WorkflowsModuleError(
        `cannot load ${modulePath}: this Node.js does not run TypeScript by itself. Compile it first (tsc) and pass the .js file, ` +
          `or run the CLI under a TypeScript loader: node --import tsx node_modules/weft/dist/cli/main.js <command> --workflows ${modulePath}`,
        { cause: err },
      );
    }
    throw new WorkflowsModuleError(`cannot load ${modulePath}: ${reason}`, { cause: err });
  }
  const registry = mod.workflows ?? mod.default;
  if (!isRegistry(registry)) {
    throw new WorkflowsModuleError(`${modulePath} must export \`workflows\` (or a default export): an object of committed workflows, { key: workflow }`);
  }
  return registry;
}
