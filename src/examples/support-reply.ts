import { z } from 'zod';
import { createStep, createWorkflow } from '../index.js';

/**
 * Support reply: `.map()` turns a ticket into a prompt, an agent drafts the reply (its text streams
 * into the run's stream as `workflow-step-output` events while it is written), a step sends it.
 *
 * The agent is a stand-in with the public interface of Mastra's `Agent` (`id`, `name`,
 * `getDescription()`, `stream()`), so the example needs no model provider: its "model" writes a canned
 * reply word by word. With @mastra/core, pass `new Agent({ id: 'reply-writer', instructions, model })`
 * instead. The agent step's output is journaled: a recovered run does not call the model again for a
 * reply that was already written.
 */
const replyWriter = {
  id: 'reply-writer',
  name: 'Reply writer',
  getDescription: () => 'Drafts a reply to a support ticket (mock model)',
  async stream(prompt: string, options: { abortSignal?: AbortSignal } = {}) {
    const customer = /Customer: (.*)/.exec(prompt)?.[1] ?? 'there';
    const words = `Hi ${customer}, thanks for writing in. We have refunded your order and the money will arrive within five days.`.split(/(?= )/);
    const chunk = (type: string, payload: Record<string, unknown> = {}) => ({ type, from: 'AGENT', payload });
    async function* fullStream() {
      yield* [chunk('start'), chunk('step-start'), chunk('text-start', { id: 't1' })];
      for (const word of words) {
        await new Promise((r) => setTimeout(r, 40)); // a model writes at its own pace
        if (options.abortSignal?.aborted) throw options.abortSignal.reason;
        yield chunk('text-delta', { id: 't1', text: word });
      }
      yield* [chunk('text-end', { id: 't1' }), chunk('step-finish'), chunk('finish', { finishReason: 'stop' })];
    }
    return { fullStream: fullStream(), text: Promise.resolve(words.join('')) };
  },
};

const ticket = z.object({ customer: z.string(), message: z.string() });

const sendReply = createStep({
  id: 'send-reply',
  inputSchema: z.object({ to: z.string(), body: z.string() }),
  outputSchema: z.object({ sent: z.boolean(), words: z.number() }),
  execute: async ({ inputData }) => ({ sent: true, words: inputData.body.split(/\s+/).length }),
});

export const supportReply = createWorkflow({
  id: 'support-reply',
  description: 'an agent step (mock model) between two .map() functions',
  inputSchema: ticket,
  outputSchema: z.object({ sent: z.boolean(), words: z.number() }),
  metadata: { exampleInput: { customer: 'Ada', message: 'I was charged twice for order #1042.' } },
})
  .map(async ({ inputData }) => ({ prompt: `Customer: ${inputData.customer}\nMessage: ${inputData.message}\nWrite a short, kind reply.` }))
  .then(createStep(replyWriter))
  .map(async ({ inputData, getInitData }) => ({ to: getInitData<z.infer<typeof ticket>>().customer, body: inputData.text }))
  .then(sendReply)
  .commit();
