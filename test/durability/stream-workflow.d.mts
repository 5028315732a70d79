import type { AnyWorkflow } from '../../src/index.js';
export declare const TOKENS: number;
export declare function streamWorkflow(weft: { createStep: unknown; createWorkflow: unknown; z: unknown }, opts?: { gapMs?: number; log?: (line: string) => void }): AnyWorkflow;
