// How the child processes of the crash and multi-process tests wait. They run the built package with
// plain Node (not under vitest): both rest on the shared waitUntil of wait.mjs.
import { waitUntil } from './wait.mjs';

/**
 * Resolves once the run exists and has an outcome (or suspended), with its summary: woken by the run's own
 * durable stream, which a commit in this process wakes at once (other processes' commits are read
 * within the stream's poll).
 */
export async function untilSettled(weft, runId) {
  // The run may be started by another process after this one is ready: its stream exists from then.
  await pollUntil(() => weft.getRun(runId));
  // Only the end of the stream matters here: it ends when the run settles.
  const events = weft.followRunStream(runId);
  while (!(await events.next()).done);
  return weft.getRun(runId);
}

/**
 * Resolves with the first truthy value of `probe`, asked every `intervalMs`: for conditions nothing
 * announces (a file another process creates, a count across runs). The shared waitUntil (wait.mjs), with
 * a timeout longer than any test's guard: the guard kills the process first and reports the phase.
 */
export function pollUntil(probe, intervalMs = 20, message = 'a condition') {
  return waitUntil(probe, { interval: intervalMs, timeout: 600_000, message });
}
