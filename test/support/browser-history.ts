import type { Browser } from 'playwright-core';
import { apiFor } from './api';
import { befriendInBrowser, DESKTOP, openPage, signUpInBrowser } from './browser';
import { type E2eeTestDevice, openDevice, sendAsWebClient } from './e2ee-device';
import { PASSWORD, signUp } from './personas';
import type { TestStack } from './stack';

/**
 * Alice signed up on her laptop's browser, with a history to bring elsewhere: Bob (a device on the API)
 * befriends her and sends her `count` messages, `${label} 1` to `${label} {count}`, which her laptop shows.
 * Close `bobDevice` when done.
 *
 * @example
 * const { laptop, email } = await aliceWithHistory(stack, browser, 30, 'Earlier message');
 */
export async function aliceWithHistory(stack: TestStack, browser: Browser, count: number, label: string) {
  const email = `alice.${crypto.randomUUID().slice(0, 6)}@example.com`;
  const laptop = await openPage(browser, stack, DESKTOP);
  await signUpInBrowser(laptop.page, stack, email, PASSWORD);
  const bob = await signUp(stack, 'bob');
  const aliceId = await befriendInBrowser(laptop.page, apiFor(stack, bob), email);
  const bobDevice: E2eeTestDevice = await openDevice(stack, bob, 'laptop');
  const { conversationId } = await apiFor(stack, bob).createConversation({
    body: { kind: 'direct', userId: aliceId },
  });
  for (let i = 1; i <= count; i++) await sendAsWebClient(bobDevice, conversationId, `${label} ${i}`);
  await laptop.page.getByRole('navigation', { name: 'Conversations' }).getByText('bob').first().click();
  await laptop.page.getByText(`${label} ${count}`, { exact: true }).last().waitFor({ timeout: 30_000 });
  return { email, laptop, bob, bobDevice };
}
