/**
 * A result's `steps` holds the workflow's input under `input` (Mastra's pseudo-step) next to the step
 * results. Code that lists steps (event replay, the CLI, the dashboard) uses this to skip it; a step
 * really called `input` replaces the pseudo-step, as in Mastra, and is listed.
 */
export const INPUT_KEY = 'input';

function isStepLike(v: unknown): boolean {
  return v !== null && typeof v === 'object' && typeof (v as { status?: unknown }).status === 'string' && typeof (v as { startedAt?: unknown }).startedAt === 'number';
}

/** The step entries of a result's `steps`, without the workflow input. */
export function stepEntries<T>(steps: Record<string, T>): [string, T][] {
  return Object.entries(steps).filter(([key, v]) => key !== INPUT_KEY || isStepLike(v));
}
