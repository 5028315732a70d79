// The benchmark's workflows, written once against the Mastra workflow API. weft and @mastra/core
// both run exactly these definitions: each adapter passes its own createWorkflow/createStep.
import { z } from 'zod';
import { STEPS } from './sizes.mjs';
import { hooks } from './hooks.mjs';

const delay = (ms) => new Promise((r) => setTimeout(r, ms));
const num = z.object({ n: z.number() });
const slowNum = z.object({ n: z.number(), delayMs: z.number() });

/** Message `i` of scenario h's conversation: about 1 KB of JSON. */
export function chatMessage(i) {
  return { role: i % 2 ? 'user' : 'assistant', turn: i, text: `message ${i}: ${'lorem ipsum dolor sit amet '.repeat(37)}` };
}

export function buildWorkflows({ createWorkflow, createStep }) {
  let chain = createWorkflow({ id: 'chain', inputSchema: num, outputSchema: num });
  for (let i = 0; i < STEPS; i++) {
    const last = i === STEPS - 1;
    chain = chain.then(
      createStep({
        id: `s${i}`,
        inputSchema: num,
        outputSchema: num,
        execute: async ({ inputData }) => {
          if (last) hooks.lastStep();
          return { n: inputData.n + 1 };
        },
      }),
    );
  }
  let slow = createWorkflow({ id: 'slow', inputSchema: slowNum, outputSchema: slowNum });
  for (let i = 0; i < STEPS; i++) {
    const last = i === STEPS - 1;
    slow = slow.then(
      createStep({
        id: `s${i}`,
        inputSchema: slowNum,
        outputSchema: slowNum,
        execute: async ({ inputData }) => {
          await delay(inputData.delayMs);
          if (last) hooks.lastStep();
          return { n: inputData.n + 1, delayMs: inputData.delayMs };
        },
      }),
    );
  }
  const inc = createStep({
    id: 'inc',
    inputSchema: num,
    outputSchema: num,
    execute: async ({ inputData }) => ({ n: inputData.n + 1 }),
  });
  const foreach = createWorkflow({ id: 'foreach', inputSchema: z.array(num), outputSchema: z.array(num) })
    .foreach(inc, { concurrency: 50 })
    .commit();
  const sleeper = createWorkflow({ id: 'sleeper', inputSchema: num, outputSchema: num })
    .sleep(3_600_000)
    .then(inc)
    .commit();
  const oneIn = z.object({ n: z.number(), fail: z.boolean() });
  const one = createWorkflow({ id: 'one', inputSchema: oneIn, outputSchema: num })
    .then(
      createStep({
        id: 'one',
        inputSchema: oneIn,
        outputSchema: num,
        execute: async ({ inputData }) => {
          hooks.lastStep();
          if (inputData.fail) throw new Error('planned failure');
          return { n: inputData.n + 1 };
        },
      }),
    )
    .commit();
  // Scenario h: an agent loop. Each turn appends one ~1 KB message to the conversation and returns the
  // whole conversation (the shape of a chat agent's dountil), for CHAT_TURNS turns.
  const chatState = z.object({ messages: z.array(z.any()), turns: z.number(), target: z.number() });
  const turn = createStep({
    id: 'turn',
    inputSchema: chatState,
    outputSchema: chatState,
    execute: async ({ inputData }) => ({
      ...inputData,
      messages: [...inputData.messages, chatMessage(inputData.turns)],
      turns: inputData.turns + 1,
    }),
  });
  const chat = createWorkflow({ id: 'chat', inputSchema: chatState, outputSchema: chatState })
    .dountil(turn, async ({ inputData }) => inputData.turns >= inputData.target)
    .commit();
  return { chain: chain.commit(), slow: slow.commit(), foreach, sleeper, one, chat };
}

/** Scenario j (weft only): the chain's steps under a keyed rate limit (queue) or a keyed debounce. */
export function buildFlowWorkflows({ createWorkflow, createStep }, { debounceMs }) {
  const keyed = z.object({ n: z.number(), k: z.string() });
  const chainWith = (id, flow) => {
    let wf = createWorkflow({ id, inputSchema: keyed, outputSchema: keyed, ...flow });
    for (let i = 0; i < STEPS; i++) {
      wf = wf.then(createStep({ id: `s${i}`, inputSchema: keyed, outputSchema: keyed, execute: async ({ inputData }) => ({ ...inputData, n: inputData.n + 1 }) }));
    }
    return wf.commit();
  };
  return {
    rated: chainWith('rated', { rateLimit: { limit: 1000, period: 1000, queue: true, key: (x) => x.k } }),
    debounced: chainWith('debounced', { debounce: { period: debounceMs, key: (x) => x.k } }),
  };
}
