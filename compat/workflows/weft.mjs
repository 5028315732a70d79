// The registry `weft serve --workflows compat/workflows/weft.mjs` loads. WEFT_DIST points at another build.
const dist = process.env.WEFT_DIST ?? new URL('../../dist/index.js', import.meta.url).href;
const { createWorkflow, createStep } = await import(dist);
const { defineWorkflows } = await import('./defs.mjs');

export const workflows = defineWorkflows({ createWorkflow, createStep });
