/**
 * The JSON shapes of the HTTP API, declared once for the server (which produces them) and the client
 * (which reads them). They are derived from the engine's own types, with dates as ISO strings, so a
 * field added to a result or a summary reaches the wire types without a second edit.
 */
import type { SerializedNode } from '../define/graph.js';
import type { RunSummary, RunView } from '../define/run-types.js';
import type { SerializedError } from '../errors.js';
import type { BulkAction, BulkFilter, BulkProgress } from '../domain/bulk.js';

/** A value as it arrives after JSON.stringify / JSON.parse: Dates become ISO strings, Errors their plain shape. */
export type Jsonified<T> = T extends Date
  ? string
  : T extends Error
    ? SerializedError
    : T extends (infer U)[]
    ? Jsonified<U>[]
    : T extends object
      ? { [K in keyof T]: Jsonified<T[K]> }
      : T;

/** A step's schemas as JSON Schema (what a form for its resume data is built from). */
export interface StepSchemaInfo {
  id: string;
  description?: string;
  resumeSchema?: Record<string, unknown>;
  suspendSchema?: Record<string, unknown>;
}

/** GET /api/weft/workflows and /api/weft/workflows/:id. */
export interface WorkflowInfo {
  key: string;
  id: string;
  description?: string;
  metadata?: Record<string, unknown>;
  /** The workflow's input schema as JSON Schema (when the schema library can say): what the start form is built from. */
  inputSchema?: Record<string, unknown>;
  stepGraph: SerializedNode[];
  /** The declared version and the graph fingerprint new runs start with (docs/operations.md, upgrading). */
  version?: string;
  fingerprint?: string;
  /** Each step's resume and suspend schemas as JSON Schema (when the schema library can say), keyed like a result's step paths. */
  steps?: Record<string, StepSchemaInfo>;
  /**
   * The events this workflow waits for, each with the JSON Schema of its data (the wait's `schema`, or
   * its step's resumeSchema, when the schema library can say): what the run page's event form is built from.
   */
  events?: Record<string, Record<string, unknown>>;
}

/** A run in a listing: the engine's RunSummary, plus `workflowId` (the same as `workflowName`). */
export type RunSummaryJson = Jsonified<RunSummary> & { workflowId: string };

/** Mastra's run view as JSON. */
export type RunViewJson = Jsonified<RunView>;

/** GET /api/weft/runs and /api/weft/workflows/:id/runs. */
export interface RunListJson {
  runs: RunSummaryJson[];
  total: number;
  page: number;
  perPage: number;
  /** Present when the page is full: pass it as `?cursor=` for the next page. */
  nextCursor?: string;
}

/** POST /api/weft/runs/bulk: dates may be ISO strings. */
export interface BulkRequestJson {
  action: BulkAction;
  filter?: Omit<BulkFilter, 'fromDate' | 'toDate'> & { fromDate?: string | number; toDate?: string | number };
  resumeData?: unknown;
  batchSize?: number;
  dryRun?: boolean;
  cursor?: string;
}

/** A bulk action's job (POST /runs/bulk, GET /runs/bulk/:id). */
export interface BulkJobJson {
  id: string;
  startedAt: string;
  progress: BulkProgress;
  /** The walk itself failed (the store stayed unavailable); continue from progress.cursor. */
  failure?: { code: string; message: string };
}
