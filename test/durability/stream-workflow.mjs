// The workflow of the run-stream crash and restart tests, built with whichever weft the caller
// imported (the test process uses src/, child processes dist/). `talk` writes TOKENS chunks, one every
// GAP_MS, logging each to `log` once written.
export const TOKENS = 60;

export function streamWorkflow({ createStep, createWorkflow, z }, { gapMs = 5, log = () => {} } = {}) {
  const T = z.object({ text: z.string() });
  const talk = createStep({
    id: 'talk',
    inputSchema: T,
    outputSchema: T,
    execute: async ({ writer, inputData }) => {
      for (let i = 0; i < TOKENS; i++) {
        await writer.write(`tok-${i}`);
        log(`chunk\t${i}`);
        await new Promise((r) => setTimeout(r, gapMs));
      }
      return { text: `${inputData.text} done` };
    },
  });
  return createWorkflow({ id: 'talk', inputSchema: T, outputSchema: T }).then(talk).commit();
}
