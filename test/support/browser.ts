import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { TestStack } from './stack';

/** Where the browser tests leave their screenshots (a CI artifact; not committed). */
export const SCREENSHOTS = join(process.cwd(), '.local', 'screenshots');

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/** Debian's Chromium, headless. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** The local web client's URL, from the stack's outputs. */
export function webUrlOf(stack: TestStack): string {
  for (const values of Object.values(stack.outputs as Record<string, Record<string, string>>)) {
    if (values.WebUrl) return values.WebUrl;
  }
  throw new Error('The local stack reports no WebUrl');
}

/**
 * A browser context for one person on one device. The page's console errors and failed requests are kept,
 * so a test can assert the app raised none.
 */
export async function openPage(browser: Browser, stack: TestStack, viewport = DESKTOP) {
  // axe is injected as an inline script, which the app's CSP rightly forbids: lift it for the test only.
  const context: BrowserContext = await browser.newContext({ viewport, bypassCSP: true });
  const page: Page = await context.newPage();
  const problems: string[] = [];
  /** Every frame the page's WebSockets received, for diagnosing a test that fails. */
  const frames: string[] = [];
  page.on('websocket', (ws) => ws.on('framereceived', (frame) => frames.push(String(frame.payload))));
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.goto(webUrlOf(stack));
  return { context, page, problems, frames };
}

/** Signs up through the UI, reads the code from the local mailbox, and lands in the app. */
export async function signUpInBrowser(
  page: Page,
  stack: TestStack,
  email: string,
  password: string,
): Promise<void> {
  await page.getByRole('button', { name: 'New here? Create an account' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  const mail = await stack.mailbox.waitFor(email);
  await page.getByLabel('Code from the email').fill(mail.code);
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('navigation', { name: 'Conversations' }).waitFor({ timeout: 30_000 });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Serious and critical accessibility violations axe finds on the page as it is. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE_SOURCE });
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document) => Promise<unknown> } }).axe;
    return (await axe.run(document)) as {
      violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }>;
    };
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
