/**
 * The fields where weft's answers knowingly differ from Mastra's for the compat scenario, with why.
 * Anything not listed here must match (see compare.mjs).
 */
export const DIFFERENCES = [
  // weft's engine does not put the suspension time on the live `workflow-step-suspended` event (the
  // stored run has it: runById shows steps.ask.suspendedAt).
  /^streamSuspended\[\d+\]\.payload\.suspendedAt$/,
  // Nor the resume data and time on the events of a resumed step (runById shows them).
  /^resumeStream\[\d+\]\.payload\.(resumePayload|resumedAt)$/,
  // Mastra caches run counts for 5 s, so right after the start it still reports 0 running runs.
  'countsRunning.running',
  // Mastra's in-memory storage leaks its column names (workflow_name, run_id) into the listing.
  /^runs\w*\.runs\[\d+\]\.(workflow_name|run_id)$/,
  // Resuming a run that does not exist: Mastra answers 500 ("This workflow run was not suspended"),
  // weft 404 RUN_NOT_FOUND.
  'resumeUnknownRun',
];
