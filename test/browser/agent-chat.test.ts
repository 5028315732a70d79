import { describe, expect, it } from 'vitest';
import { agentChat } from '../../src/examples/index.js';
import { useBrowser } from '../support/browser.js';
import { useHarness } from '../support/file-harness.js';

/**
 * The agent-chat example end to end in real Chromium: started from the dashboard's start form, its
 * tokens followed on the conversation page while they stream, the refund approved on the run page's
 * resume form (in a second tab) while the conversation page keeps following, the final text checked.
 */
const h = useHarness({ workflows: { 'agent-chat': agentChat } });
const { page, pageErrors, newPage } = useBrowser();

/** Tokens as the mock model writes them (one per word, with its leading space). */
const tokensOf = (text: string) => text.split(/(?= )/);

describe('agent-chat: the conversation page follows the stream', () => {
  it('starts from the dashboard, shows tokens while they stream, waits for approval, ends with the complete text', async () => {
    await page.goto(`${h.url}/#/workflows`);
    const form = page.getByRole('form', { name: 'start agent-chat' });
    const input = { customer: 'Ada', orderId: '1042', question: 'I was charged twice for my order.', approvalLimit: 100, tokenDelayMs: 100 };
    await form.getByLabel('Input (JSON)').fill(JSON.stringify(input));
    await form.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/#\/runs\/agent-chat\/.+/);
    const runId = decodeURIComponent(page.url().split('/').pop()!);

    await page.getByRole('link', { name: 'Follow the conversation' }).click();
    await page.waitForURL(/#\/chat\/agent-chat\//);
    expect(await page.locator('.msg.customer p').textContent()).toBe(input.question);
    // Every change of a message's token count, recorded in the page as it happens (no polling race):
    // a page that shows tokens as they arrive passes through part-written states.
    await page.evaluate(() => {
      const seen: [string | null, string | null, string | null][] = [];
      (window as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver((records) => {
        for (const r of records) seen.push([(r.target as Element).closest('[data-message]')?.getAttribute('data-message') ?? null, r.oldValue, (r.target as Element).getAttribute('data-tokens')]);
      }).observe(document.getElementById('chat')!, { subtree: true, attributes: true, attributeFilter: ['data-tokens'], attributeOldValue: true });
    });

    // The refund is above the limit: the page says a human must approve; the run page's form does it.
    await expect.poll(() => page.locator('.approval').count(), { timeout: 15_000 }).toBe(1);
    // A second tab; the fixture collects its page errors too.
    const runPage = await newPage();
    await runPage.goto(`${h.url}/#/runs/agent-chat/${encodeURIComponent(runId)}`);
    const resume = runPage.getByRole('form', { name: 'resume agent-turn.refund' });
    await resume.getByLabel('Resume data (JSON)').fill('{"approved": true}');
    await resume.getByRole('button', { name: 'Resume agent-turn.refund' }).click();

    await expect.poll(() => page.locator('#chat-ended').textContent(), { timeout: 20_000 }).toBe('The conversation ended (success).');
    const result = (await h.api(`/workflows/agent-chat/runs/${encodeURIComponent(runId)}`)).body.result;
    const replies: string[] = result.result.messages.filter((m: { role: string }) => m.role === 'agent').map((m: { text: string }) => m.text);
    expect(replies).toHaveLength(3);
    expect(replies[2]).toBe('Done: 240.00 is on its way back to your card. Anything else I can help with?');
    const shown = await page.locator('.msg.agent').evaluateAll((els) => els.map((e) => ({ id: e.getAttribute('data-message'), text: e.querySelector('.text')?.textContent, tokens: Number(e.querySelector('.text')?.getAttribute('data-tokens')) })));
    expect(shown).toEqual(replies.map((text, i) => ({ id: `turn-${i + 1}`, text, tokens: tokensOf(text).length })));
    expect(await page.locator('#chat-status').textContent()).toBe('success');
    const seen = await page.evaluate(() => (window as unknown as { seen: [string | null, string | null, string | null][] }).seen);
    // The last reply streamed after the approval, all of it while the page was following.
    const partial = new Set(seen.filter(([id, old]) => id === 'turn-3' && old !== null && Number(old) < tokensOf(replies[2]!).length).map(([, old]) => old));
    expect(partial.size, 'part-written states of the last reply').toBeGreaterThanOrEqual(3);
    await runPage.close();
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
