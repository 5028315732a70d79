import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow } from '../../src/index.js';
import { useBrowser } from '../support/browser.js';
import { useHarness } from '../support/file-harness.js';

/**
 * The conversation page when a step is retried after it streamed: the stream's reset names the
 * superseded attempt's chunks and the page takes their tokens out (real Chromium, real server, SQLite).
 */
let release: () => void = () => {};
const shownFirst = new Promise<void>((resolve) => (release = resolve));

const T = z.object({ text: z.string() });
const reply = createStep({
  id: 'reply',
  inputSchema: T,
  outputSchema: T,
  retries: 1,
  execute: async ({ writer, retryCount }) => {
    const tokens = retryCount === 0 ? ['x', 'y', 'z'] : ['a', 'b'];
    for (const [index, text] of tokens.entries()) await writer.write({ type: 'text-delta', payload: { id: 'm1', index, text } });
    if (retryCount === 0) {
      // The page has shown this attempt's three tokens before it fails.
      await shownFirst;
      throw new Error('the model connection dropped');
    }
    return { text: tokens.join('') };
  },
});
const talk = createWorkflow({ id: 'retry-talk', inputSchema: T, outputSchema: T }).then(reply).commit();

const h = useHarness({ workflows: { 'retry-talk': talk } });
const { page, pageErrors } = useBrowser();
// Registered last, so it runs first: a held step must not keep the server from stopping.
afterAll(() => release());

describe('dashboard: the conversation page across a retried step', () => {
  it('shows the first attempt as it streams, then only the retry\'s tokens', async () => {
    const run = await talk.createRun({ runId: 'retry-1' });
    await run.startAsync({ inputData: { text: 'hi' } });
    await page.goto(`${h.url}/#/chat/retry-talk/retry-1`);
    const text = page.locator('[data-message="m1"] .text');
    await expect.poll(() => text.textContent(), { timeout: 10_000 }).toBe('xyz');
    release();
    await expect.poll(() => page.locator('#chat-ended').textContent(), { timeout: 20_000 }).toBe('The conversation ended (success).');
    // Index 2 ('z') belonged only to the superseded attempt: without the reset it would stay ("abz").
    expect(await text.textContent()).toBe('ab');
    expect(await text.getAttribute('data-tokens')).toBe('2');
    expect(pageErrors).toEqual([]);
  });
});
