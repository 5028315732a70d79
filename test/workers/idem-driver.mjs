// Starts runs idem-0..idem-99 of 'once' (createRun({ runId }) + startAsync), as a second process does too.
export async function drive(weft, say) {
  const wf = weft.getWorkflow('once');
  await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      const run = await wf.createRun({ runId: `idem-${i}` });
      await run.startAsync({ inputData: { n: i } });
      await run.startAsync({ inputData: { n: i } });
    }),
  );
  say('started');
}
