import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { chromiumShowsNotifications, chromiumToLaunch } from './chromium';
import type { TestStack } from './stack';

/** Where the browser tests leave their screenshots (a CI artifact; not committed). */
export const SCREENSHOTS = join(process.cwd(), '.local', 'screenshots');

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/**
 * The Chromium that `test/support/chromium.ts` picks, headless. `fakeMicrophone`: a microphone that plays a
 * tone, granted without a prompt (for recording voice notes).
 */
export async function launchBrowser(options: { fakeMicrophone?: boolean } = {}): Promise<Browser> {
  const picked = await chromiumToLaunch();
  try {
    return await chromium.launch({
      executablePath: picked.executablePath,
      env: picked.env,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        ...(options.fakeMicrophone
          ? ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']
          : []),
      ],
    });
  } catch (error) {
    throw new Error(`Could not start ${picked.description}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Whether the Chromium the tests drive shows notifications: not the npm one, a headless shell (see
 * {@link chromiumShowsNotifications}). The tests that need them skip there; CI runs them in Debian's.
 */
export const SHOWS_NOTIFICATIONS = chromiumShowsNotifications();

/** Why a test that needs notifications skipped, for the report. */
export const NO_NOTIFICATIONS_HERE = 'the Chromium from npm (a headless shell) shows no notifications';

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
  const observed = observe(page);
  await page.goto(webUrlOf(stack));
  return { context, ...observed };
}

/**
 * What a page does, kept for a report (see {@link explained}): its problems (page errors, console
 * errors), warnings, the frames its WebSockets sent and received, its requests and its sockets.
 */
export function observe(page: Page) {
  const problems: string[] = [];
  /** Every frame the page's WebSockets received, for diagnosing a test that fails. */
  const frames: string[] = [];
  /** Every frame the page's WebSockets sent. */
  const sent: string[] = [];
  /** Every request the page made, as `METHOD /path`. */
  const requests: string[] = [];
  /** The page's WebSockets, and whether each has closed. */
  const sockets: Array<{ readonly url: string; closed: boolean }> = [];
  page.on('websocket', (ws) => {
    const socket = { url: ws.url(), closed: false };
    sockets.push(socket);
    ws.on('framereceived', (frame) => frames.push(String(frame.payload)));
    ws.on('framesent', (frame) => sent.push(String(frame.payload)));
    ws.on('close', () => {
      socket.closed = true;
    });
  });
  page.on('request', (request) => requests.push(`${request.method()} ${new URL(request.url()).pathname}`));
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  /** Console warnings, for a report: the app warns of what it could not read or send. */
  const warnings: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    if (message.type() === 'warning') warnings.push(message.text());
  });
  return { page, problems, warnings, frames, sent, requests, sockets };
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

/** Signs in through the UI as someone who already has an account, and lands in the app. */
export async function signInInBrowser(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('navigation', { name: 'Conversations' }).waitFor({ timeout: 60_000 });
}

/**
 * Everything the page's origin keeps in the browser, as searchable text: every IndexedDB record (bytes
 * both as Latin-1 and base64) and localStorage.
 */
export async function browserStorage(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const text = (value: unknown): string => {
      if (value instanceof ArrayBuffer) return text(new Uint8Array(value));
      if (value instanceof Uint8Array) {
        const latin1 = Array.from(value, (byte) => String.fromCharCode(byte)).join('');
        return `${latin1}\n${btoa(latin1)}`;
      }
      if (value instanceof CryptoKey) return `[CryptoKey extractable=${value.extractable}]`;
      if (Array.isArray(value)) return value.map(text).join('\n');
      if (value !== null && typeof value === 'object')
        return Object.entries(value)
          .map(([key, inner]) => `${key}\n${text(inner)}`)
          .join('\n');
      return String(value);
    };
    const settle = <T>(request: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    const out: string[] = [];
    for (const { name } of await indexedDB.databases()) {
      if (!name) continue;
      const db = await settle(indexedDB.open(name));
      for (const store of Array.from(db.objectStoreNames)) {
        const tx = db.transaction(store);
        const [keys, values] = await Promise.all([
          settle(tx.objectStore(store).getAllKeys()),
          settle(tx.objectStore(store).getAll()),
        ]);
        out.push(`${name}/${store}`, text(keys), text(values));
      }
      db.close();
    }
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i) ?? '';
      out.push(key, localStorage.getItem(key) ?? '');
    }
    return out.join('\n');
  });
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

type Observed = Pick<
  Awaited<ReturnType<typeof openPage>>,
  'page' | 'problems' | 'warnings' | 'frames' | 'sent' | 'requests' | 'sockets'
>;

/** A frame as a line for a report: its type and routing fields, never a body. */
function frameSummary(payload: string): string {
  try {
    const frame = JSON.parse(payload) as Record<string, unknown>;
    const fields = [
      'type',
      'action',
      'event',
      'code',
      'conversationId',
      'seq',
      'kind',
      'refSeq',
      'epoch',
      'requestId',
    ];
    return fields
      .filter((field) => frame[field] !== undefined)
      .map((field) => `${field}=${String(frame[field]).slice(0, 16)}`)
      .join(' ');
  } catch {
    return `(${payload.length} bytes, not JSON)`;
  }
}

/**
 * What pages and functions did, for a test that waited in vain: each page's problems, the frames it
 * sent and received (routing fields only), its last requests and sockets, and every function line
 * logged at WARN or above.
 */
export function report(pages: Record<string, Observed>, stack: Pick<TestStack, 'logs' | 'errors'>): string {
  const lines: string[] = [];
  for (const [name, observed] of Object.entries(pages)) {
    lines.push(`--- ${name} (${observed.page.isClosed() ? 'closed' : observed.page.url()})`);
    lines.push(...observed.problems.map((problem) => `  problem: ${problem.slice(0, 300)}`));
    lines.push(...observed.warnings.slice(-20).map((warning) => `  warning: ${warning.slice(0, 300)}`));
    lines.push(`  sockets: ${observed.sockets.map((s) => (s.closed ? 'closed' : 'open')).join(', ')}`);
    lines.push(...observed.sent.slice(-15).map((frame) => `  sent: ${frameSummary(frame)}`));
    lines.push(...observed.frames.slice(-40).map((frame) => `  received: ${frameSummary(frame)}`));
    lines.push(...observed.requests.slice(-25).map((request) => `  request: ${request}`));
  }
  lines.push('--- fan-out: the last jobs done');
  const fanout = stack.logs.filter(({ line }) => line.includes('"Fan-out done"')).slice(-25);
  lines.push(
    ...fanout.map(
      ({ line }) =>
        `  ${line.replace(/"(timestamp|service|xray_trace_id|function_\w+|cold_start|sampling_rate)":[^,]*,/g, '').slice(0, 400)}`,
    ),
  );
  lines.push('--- functions at WARN or above');
  for (const { functionName, line } of stack.logs) {
    if (/"level":"(WARN|ERROR|CRITICAL)"/.test(line)) lines.push(`  ${functionName}: ${line.slice(0, 400)}`);
  }
  lines.push(...stack.errors.map((error) => `  stand-in: ${error.slice(0, 300)}`));
  return lines.join('\n');
}

/** Waits for `promise`; when it fails, fails with what the pages and functions did meanwhile. */
export async function explained<T>(
  promise: Promise<T>,
  pages: Record<string, Observed>,
  stack: Pick<TestStack, 'logs' | 'errors'>,
): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${report(pages, stack)}`, {
      cause: error,
    });
  }
}

/**
 * Puts the page's tab in the background (or back in front) as a browser tells a page: `visibilityState`,
 * `hidden` and a `visibilitychange` event.
 */
export function setTabVisible(page: Page, visible: boolean): Promise<void> {
  return page.evaluate((shown) => {
    Object.defineProperty(document, 'visibilityState', {
      configurable: true,
      get: () => (shown ? 'visible' : 'hidden'),
    });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => !shown });
    document.dispatchEvent(new Event('visibilitychange'));
  }, visible);
}

/**
 * Someone on the API sends the signed-in browser's user (found by `email`) a friend request, which the
 * browser accepts in People; resolves to the browser user's id once the new friend is listed (as the
 * `friendsBefore + 1`-th friend).
 */
export async function befriendInBrowser(
  page: Page,
  api: {
    findUsers: (input: { query: { email: string } }) => Promise<{ items: ReadonlyArray<{ userId: string }> }>;
    sendFriendRequest: (input: { body: { userId: string } }) => Promise<unknown>;
  },
  email: string,
  friendsBefore = 0,
): Promise<string> {
  const [found] = (await api.findUsers({ query: { email } })).items;
  if (found === undefined) throw new Error(`${email} not found`);
  await api.sendFriendRequest({ body: { userId: found.userId } });
  await page.getByRole('button', { name: /^People/ }).click();
  await page.getByRole('region', { name: 'Friend requests' }).getByRole('button', { name: 'Accept' }).click();
  await page
    .getByRole('region', { name: 'Friends' })
    .getByRole('button', { name: 'Message' })
    .nth(friendsBefore)
    .waitFor({ timeout: 30_000 });
  return found.userId;
}
