/**
 * The web client's load time on the local stack, in Debian's Chromium: how long a returning user waits for
 * a usable conversation list (every conversation's name and decrypted preview shown), and how long a new
 * visitor waits for the sign-in form. The stack serves the production build, as the site on AWS does, but
 * from the same 2-core machine as the browser and without compression.
 */
import { loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { apiFor, befriend } from '../test/support/api';
import { DESKTOP, launchBrowser, signInInBrowser, webUrlOf } from '../test/support/browser';
import { type E2eeTestDevice, openDevice } from '../test/support/e2ee-device';
import { type Persona, signUp } from '../test/support/personas';
import { startTestStack } from '../test/support/stack';
import { summary } from './stats';

const CONVERSATIONS = Number(process.env.BENCH_WEB_CONVERSATIONS ?? 20);
const MESSAGES_EACH = 3;
const RUNS = Number(process.env.BENCH_WEB_RUNS ?? 10);
/** The app's own marks, in the order they happen (see `web/src/ui/App.tsx` and `web/src/app/model.ts`). */
const MARKS = ['parley:config', 'parley:session', 'parley:device-open', 'parley:model-ready'] as const;

const payload = (text: string) => new TextEncoder().encode(JSON.stringify({ text }));

/**
 * Waits until the page shows what `key` names, polling every 10 ms, and returns when that was (ms since
 * navigation start) with the app's marks: the conversation list with `count` conversations, each with a
 * decrypted preview; or the sign-in form.
 */
async function readyTimes(page: Page, key: 'list' | 'sign-in', count = 0) {
  let at: number;
  try {
    const handle = await page.waitForFunction(
      ({ what, expected }) => {
        if (what === 'sign-in') {
          return document.querySelector('main.auth h1')?.textContent === 'Sign in'
            ? performance.now()
            : false;
        }
        const previews = [...document.querySelectorAll('nav .conversation .preview')];
        const ready =
          previews.length >= expected &&
          previews.every((p) => p.textContent !== 'Encrypted message' && p.textContent !== 'No messages yet');
        return ready ? performance.now() : false;
      },
      { what: key, expected: count },
      { polling: 10, timeout: 60_000 },
    );
    at = (await handle.jsonValue()) as number;
  } catch (error) {
    const previews = await page.locator('nav .conversation .preview').allTextContents();
    throw new Error(`Not ready: the list shows ${JSON.stringify(previews)}`, { cause: error });
  }
  return page.evaluate(
    ({ marks, at }) => {
      const byName = Object.fromEntries(
        performance.getEntriesByType('mark').map((m) => [m.name, m.startTime]),
      );
      const navigation = performance.getEntriesByType('navigation')[0] as
        | PerformanceNavigationTiming
        | undefined;
      const scripts = performance
        .getEntriesByType('resource')
        .filter((r) => r.name.endsWith('.js')) as PerformanceResourceTiming[];
      return {
        at,
        marks: marks.map((m) => byName[m] ?? Number.NaN),
        domContentLoaded: navigation?.domContentLoadedEventEnd ?? Number.NaN,
        scriptBytes: scripts.reduce((sum, r) => sum + r.encodedBodySize, 0),
      };
    },
    { marks: [...MARKS], at },
  );
}

const ms = (value: number) => `${Math.round(value)} ms`;

export async function measureWeb(): Promise<string[]> {
  const [loadAtStart = Number.NaN] = loadavg();
  const stack = await startTestStack({ webMode: 'production' });
  const browser = await launchBrowser();
  const devices: E2eeTestDevice[] = [];
  try {
    const alice = await signUp(stack, 'alice');
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(webUrlOf(stack));
    await signInInBrowser(page, alice.email, alice.password);

    // Friends, each with a direct chat with Alice holding a few messages, which her browser decrypts live.
    const friends: Persona[] = [];
    for (let i = 0; i < CONVERSATIONS; i++) friends.push(await signUp(stack, `friend${i}`));
    for (const friend of friends) {
      await befriend(stack, friend, alice);
      const device = await openDevice(stack, friend, 'laptop', { connect: false });
      devices.push(device);
      const { conversationId } = await apiFor(stack, friend).createConversation({
        body: { kind: 'direct', userId: alice.userId },
      });
      for (let m = 0; m < MESSAGES_EACH; m++) {
        await device.client.send(conversationId, payload(`Message ${m + 1} from ${friend.name}`));
      }
    }
    await page.waitForFunction(
      (expected) =>
        [...document.querySelectorAll('nav .conversation .preview')].filter((p) =>
          p.textContent?.startsWith('Message 3'),
        ).length === expected,
      CONVERSATIONS,
      { timeout: 120_000 },
    );

    const cdp = await context.newCDPSession(page);
    const runs = async (clearCache: boolean) => {
      const results = [];
      for (let run = 0; run < RUNS; run++) {
        if (clearCache) await cdp.send('Network.clearBrowserCache');
        await page.reload();
        results.push(await readyTimes(page, 'list', CONVERSATIONS));
      }
      return results;
    };
    const warm = await runs(false);
    const cold = await runs(true);

    const visitors = [];
    for (let run = 0; run < RUNS; run++) {
      const fresh = await browser.newContext({ viewport: DESKTOP });
      const visitorPage = await fresh.newPage();
      await visitorPage.goto(webUrlOf(stack));
      visitors.push(await readyTimes(visitorPage, 'sign-in'));
      await fresh.close();
    }
    const [loadAtEnd = Number.NaN] = loadavg();

    const row = (label: string, samples: Array<{ at: number }>) => {
      const s = summary(samples.map((r) => r.at));
      return `| ${label} | ${ms(s.p50)} | ${ms(s.max)} | ${samples.length} |`;
    };
    const step = (index: number) => {
      const from =
        index === 0 ? warm.map((r) => r.domContentLoaded) : warm.map((r) => r.marks[index - 1] ?? 0);
      return summary(warm.map((r, i) => (r.marks[index] ?? Number.NaN) - (from[i] ?? 0))).p50;
    };
    const listStep = summary(warm.map((r) => r.at - (r.marks[MARKS.length - 1] ?? Number.NaN))).p50;
    return [
      '## Web client: time to a usable conversation list',
      '',
      `The production build, served by the local stack on this machine (no compression, \`cache-control: no-cache\`), in headless Chromium on the same 2 cores; ${CONVERSATIONS} direct conversations with ${MESSAGES_EACH} messages each, decrypted history in the browser's encrypted IndexedDB. Times are from navigation start; "usable" is the moment all ${CONVERSATIONS} conversations show their decrypted previews. Load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end.`,
      '',
      '| | p50 | max | runs |',
      '|---|---|---|---|',
      row('returning user, reload → usable list', warm),
      row('returning user, cache cleared → usable list', cold),
      row('new visitor → sign-in form', visitors),
      '',
      `Scripts loaded: ${Math.round((warm[0]?.scriptBytes ?? 0) / 1024)} KiB (uncompressed). Where a reload's time goes (p50):`,
      '',
      '| step | p50 |',
      '|---|---|',
      `| page and scripts loaded (DOMContentLoaded) | ${ms(summary(warm.map((r) => r.domContentLoaded)).p50)} |`,
      `| configuration fetched (\`/config.json\`) | ${ms(step(0))} |`,
      `| session refreshed (Cognito) | ${ms(step(1))} |`,
      `| profile read, device keys unlocked, device registered, key packages counted | ${ms(step(2))} |`,
      `| conversations, friends, stored history and presence loaded | ${ms(step(3))} |`,
      `| list rendered with previews | ${ms(listStep)} |`,
    ];
  } finally {
    await Promise.all(devices.map((d) => d.close()));
    await browser.close();
    await stack.stop();
  }
}
