// A worker process for the long-loop crash test. PHASE=run: starts `chat-1`, an agent-style loop whose
// every turn appends a ~1 KB message to the conversation (values stored by content, loop history
// compacted every LOOP_HISTORY turns); the test SIGKILLs it mid-loop. PHASE=recover: a fresh process on
// the same store starts its engine and waits until the run has finished, then logs its result.
import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { Weft, createStep, createWorkflow, postgresStore, sqliteStore } from '../../dist/index.js';
import { untilSettled } from '../support/child-wait.mjs';

const env = process.env;
const TURNS = Number(env.TURNS);
const log = (line) => appendFileSync(env.LEDGER, `${line}\t${process.pid}\n`);
const Message = z.object({ role: z.string(), turn: z.number(), text: z.string() });
const Chat = z.object({ messages: z.array(Message), turns: z.number() });
const turn = createStep({
  id: 'turn',
  inputSchema: Chat,
  outputSchema: Chat,
  execute: async ({ inputData }) => {
    log(`exec\t${inputData.turns}`);
    const text = `turn ${inputData.turns} ${'x'.repeat(1000)}`;
    return { messages: [...inputData.messages, { role: inputData.turns % 2 ? 'user' : 'assistant', turn: inputData.turns, text }], turns: inputData.turns + 1 };
  },
});
const wf = createWorkflow({ id: 'chat', inputSchema: Chat, outputSchema: Chat })
  .dountil(turn, async ({ inputData }) => inputData.turns >= TURNS)
  .commit();
const store = env.STORE === 'postgres' ? postgresStore({ connectionString: env.PG_URL, schema: env.PG_SCHEMA }) : sqliteStore({ path: env.DB_PATH });
const weft = new Weft({ workflows: { chat: wf }, store, worker: { leaseMs: 1000, pollMs: 50 }, loopHistory: Number(env.LOOP_HISTORY), onError: () => {} });
await weft.start();
const w = weft.getWorkflow('chat');

if (env.PHASE === 'run') {
  const run = await w.createRun({ runId: 'chat-1' });
  await run.startAsync({ inputData: { messages: [], turns: 0 } });
  await new Promise(() => {}); // the test kills this process mid-loop
} else {
  await untilSettled(weft, 'chat-1');
  const r = await w.getWorkflowRunExecutionResult('chat-1');
  log(`final\t${r.status}\t${JSON.stringify(r.status === 'success' ? r.result : r.error)}`);
  await weft.stop();
  process.exit(0);
}
