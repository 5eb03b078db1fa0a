/**
 * The web client's load time on the local stack, in Debian's Chromium: how long a returning user waits for
 * a usable conversation list (every conversation's name and decrypted preview shown), and how long a new
 * visitor waits for the sign-in form. The stack builds the production bundle; the page is served through
 * a small proxy that adds what CloudFront adds on AWS (gzip, hashed assets cached for a year), so a
 * returning visit loads its scripts from the browser's cache as it would there. Browser, stack and proxy
 * share one machine.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { gzipSync } from 'node:zlib';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { apiFor, befriend } from '../test/support/api';
import { DESKTOP, launchBrowser, signInInBrowser, webUrlOf } from '../test/support/browser';
import { type E2eeTestDevice, openDevice } from '../test/support/e2ee-device';
import { type Persona, signUp } from '../test/support/personas';
import { startTestStack } from '../test/support/stack';
import { summary } from './stats';

const CONVERSATIONS = Number(process.env.BENCH_WEB_CONVERSATIONS ?? 20);
const MESSAGES_EACH = 3;
const RUNS = Number(process.env.BENCH_WEB_RUNS ?? 10);
const THROTTLED_RUNS = Number(process.env.BENCH_WEB_THROTTLED_RUNS ?? 5);

/**
 * A mobile connection for the throttled runs, applied by Chromium to every request of the page (the
 * latency is added to each response, so it stands for a round trip).
 */
const MOBILE_NETWORK = {
  offline: false,
  latency: 100,
  downloadThroughput: (10 * 1024 * 1024) / 8,
  uploadThroughput: (2 * 1024 * 1024) / 8,
} as const;
const MOBILE_NETWORK_LABEL = '100 ms round trip, 10 Mbit/s down, 2 Mbit/s up';

/** What `web/src/ui/App.tsx` and `web/src/app/model.ts` mark, in the order they happen, with their meaning. */
const MARKS = [
  ['parley:config', 'configuration fetched (`/config.json`)'],
  ['parley:chat-code', 'chat code loaded (the lazily loaded chunks)'],
  ['parley:session', 'session refreshed (Cognito)'],
  ['parley:device-open', 'profile, device (keys unlocked, registered), conversations and friends, at once'],
  ['parley:model-ready', 'stored history and presence loaded'],
] as const;

/** Kept in the page by {@link watchReadiness}: when each screen was complete, in ms since navigation start. */
interface ReadyTimes {
  /** The DOM holds the screen. */
  listInDom?: number;
  /** The frame that paints it starts (the next animation frame). */
  list?: number;
  signInInDom?: number;
  signIn?: number;
}

/**
 * Runs in the page before its own scripts (a Playwright init script): watches the DOM and notes when the
 * conversation list holds every expected title and preview, and when the sign-in form is there. Observing
 * mutations rather than polling from the test gives the moment itself, however early it comes. No named
 * inner functions: tsx would wrap them in a helper (`__name`) the page does not have.
 */
function watchReadiness(expected: { titles: string[]; previews: string[] }) {
  const times: ReadyTimes = {};
  (window as unknown as { __parleyBench: ReadyTimes }).__parleyBench = times;
  new MutationObserver(() => {
    const now = performance.now();
    if (
      times.signInInDom === undefined &&
      document.querySelector('main.auth h1')?.textContent === 'Sign in'
    ) {
      times.signInInDom = now;
      requestAnimationFrame(() => {
        times.signIn = performance.now();
      });
    }
    const nav = document.querySelector('nav[aria-label="Conversations"]');
    if (times.listInDom !== undefined || expected.previews.length === 0 || !nav) return;
    const titles = new Set(
      [...nav.querySelectorAll('.conversation-title')].map((t) => t.firstChild?.textContent ?? ''),
    );
    const previews = new Set([...nav.querySelectorAll('.conversation .preview')].map((p) => p.textContent));
    if (expected.titles.every((t) => titles.has(t)) && expected.previews.every((p) => previews.has(p))) {
      times.listInDom = now;
      requestAnimationFrame(() => {
        times.list = performance.now();
      });
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
}

/** Waits until the page has noted `key` and its frame, and returns its times, marks and script bytes. */
async function readyTimes(page: Page, key: 'list' | 'sign-in', problems: PageProblems) {
  const painted: keyof ReadyTimes = key === 'list' ? 'list' : 'signIn';
  try {
    await page.waitForFunction(
      (name) => (window as unknown as { __parleyBench?: ReadyTimes }).__parleyBench?.[name] !== undefined,
      painted,
      { polling: 50, timeout: 120_000 },
    );
  } catch (error) {
    const shown = await page.evaluate(() => ({
      noted: (window as unknown as { __parleyBench?: ReadyTimes }).__parleyBench ?? 'not watching',
      alert: document.querySelector('[role="alert"]')?.textContent ?? undefined,
      titles: [...document.querySelectorAll('nav .conversation-title')].map((t) => t.firstChild?.textContent),
      previews: [...document.querySelectorAll('nav .conversation .preview')].map((p) => p.textContent),
    }));
    throw new Error(
      `Not ready: the page shows ${JSON.stringify(shown)}; the pages' errors and warnings: ${problems}`,
      { cause: error },
    );
  }
  return page.evaluate(
    ({ marks, painted }) => {
      const times = (window as unknown as { __parleyBench: ReadyTimes }).__parleyBench;
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
        at: times[painted] ?? Number.NaN,
        inDom: times[painted === 'list' ? 'listInDom' : 'signInInDom'] ?? Number.NaN,
        marks: marks.map((m) => byName[m] ?? Number.NaN),
        domContentLoaded: navigation?.domContentLoadedEventEnd ?? Number.NaN,
        /** Bytes of script that came over the network (0 from the cache), and how many scripts. */
        scriptBytes: scripts.reduce((sum, r) => sum + r.transferSize, 0),
        scripts: scripts.length,
      };
    },
    { marks: MARKS.map(([name]) => name), painted },
  );
}

type Sample = Awaited<ReturnType<typeof readyTimes>>;

/**
 * What the pages said went wrong: their console errors and warnings, their uncaught exceptions, and the
 * requests that failed or were answered with an error status, in order, each with the page's name and the time since the run began. A start that fails (the app's "could
 * not start" screen) logs its error with `console.error`: without this, a failed run says only what the
 * screen showed.
 */
class PageProblems {
  readonly lines: string[] = [];
  private readonly began = performance.now();

  watch(page: Page, name: string): Page {
    const note = (kind: string, text: string) => {
      const at = Math.round(performance.now() - this.began);
      this.lines.push(`${name} at ${at} ms, ${kind}: ${text}`);
    };
    page.on('console', (message) => {
      if (message.type() !== 'error' && message.type() !== 'warning') return;
      // Chromium's own line for each answer with an error status: the `response` line below says it.
      if (message.text().startsWith('Failed to load resource')) return;
      const { url, lineNumber } = message.location();
      note(`console.${message.type()}`, `${message.text()}${url ? ` (${url}:${lineNumber})` : ''}`);
    });
    page.on('pageerror', (error) => note('uncaught', error.stack ?? String(error)));
    // The app's error says which call failed, not always why: the status and the network's reason do.
    page.on('response', (response) => {
      if (response.status() >= 400) note('response', `${response.status()} ${response.url()}`);
    });
    page.on('requestfailed', (request) => {
      const reason = request.failure()?.errorText ?? 'unknown';
      // Each reload cancels what the page it replaces still had in flight: that is no failure.
      if (reason !== 'net::ERR_ABORTED') note('request failed', `${reason} ${request.url()}`);
    });
    return page;
  }

  /** The lines, or `none`, for an error message or the report. */
  toString(): string {
    return this.lines.length === 0 ? 'none' : this.lines.map((line) => `\n- ${line}`).join('');
  }
}

interface SiteProxy {
  readonly origin: string;
  /** The dev server to forward to, once the stack has started. */
  target: string | undefined;
  close(): Promise<void>;
}

const COMPRESSIBLE = /^(text\/|application\/(javascript|json)|image\/svg)/;

/**
 * Forwards to the local stack's web server, adding what CloudFront adds in front of the site's bucket
 * (`infra/stacks/web-content-stack.ts`, `web-stack.ts`): hashed assets cached for a year, and gzip. The
 * local server sends `no-cache` with no validator for everything, so without this every reload would
 * download every script again.
 */
async function startSiteProxy(): Promise<SiteProxy> {
  const compressed = new Map<string, Buffer>();
  const proxy: SiteProxy = {
    origin: '',
    target: undefined,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request, response) => {
    void (async () => {
      const path = request.url ?? '/';
      const upstream = await fetch(`${proxy.target}${path}`, { method: request.method ?? 'GET' });
      const body = Buffer.from(await upstream.arrayBuffer());
      const headers: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name))
          headers[name] = value;
      });
      const asset = path.startsWith('/assets/');
      if (asset) headers['cache-control'] = 'public, max-age=31536000, immutable';
      let sent: Buffer = body;
      if (
        /\bgzip\b/.test(request.headers['accept-encoding'] ?? '') &&
        COMPRESSIBLE.test(headers['content-type'] ?? '')
      ) {
        sent = (asset ? compressed.get(path) : undefined) ?? gzipSync(body);
        if (asset) compressed.set(path, sent);
        headers['content-encoding'] = 'gzip';
        headers.vary = 'accept-encoding';
      }
      response.writeHead(upstream.status, headers);
      response.end(request.method === 'HEAD' ? undefined : sent);
    })().catch((error: unknown) => {
      response.writeHead(502).end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return Object.assign(proxy, { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

const payload = (text: string) => new TextEncoder().encode(JSON.stringify({ text }));
const ms = (value: number) => (Number.isNaN(value) ? '–' : `${Math.round(value)} ms`);
const p50 = (values: readonly number[]) => summary(values).p50;

async function throttle(cdp: CDPSession) {
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', MOBILE_NETWORK);
}

export async function measureWeb(): Promise<string[]> {
  const [loadAtStart = Number.NaN] = loadavg();
  const proxy = await startSiteProxy();
  const stack = await startTestStack({ webMode: 'production', webOrigins: [proxy.origin] });
  proxy.target = webUrlOf(stack).replace(/\/$/, '');
  const browser = await launchBrowser();
  const devices: E2eeTestDevice[] = [];
  const problems = new PageProblems();
  try {
    const alice = await signUp(stack, 'alice');
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = problems.watch(await context.newPage(), 'returning user');
    await page.goto(proxy.origin);
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
    const previews = friends.map((friend) => `Message ${MESSAGES_EACH} from ${friend.name}`);
    await page.waitForFunction(
      (expected) => {
        const shown = new Set(
          [...document.querySelectorAll('nav .conversation .preview')].map((p) => p.textContent),
        );
        return expected.every((p) => shown.has(p));
      },
      previews,
      { timeout: 120_000 },
    );
    const titles = await page
      .locator('nav .conversation-title')
      .evaluateAll((spans) => spans.map((s) => s.firstChild?.textContent ?? ''));
    if (titles.length !== CONVERSATIONS || titles.includes('Someone')) {
      throw new Error(`The list's titles are not the friends' names: ${JSON.stringify(titles)}`);
    }
    await context.addInitScript(watchReadiness, { titles, previews });

    const cdp = await context.newCDPSession(page);
    const returning = async (runs: number, clearCache: boolean) => {
      const results: Sample[] = [];
      for (let run = 0; run < runs; run++) {
        if (clearCache) await cdp.send('Network.clearBrowserCache');
        await page.reload({ waitUntil: 'commit' });
        results.push(await readyTimes(page, 'list', problems));
      }
      return results;
    };
    const newVisitor = async (runs: number, throttled: boolean) => {
      const results: Sample[] = [];
      for (let run = 0; run < runs; run++) {
        const fresh: BrowserContext = await browser.newContext({ viewport: DESKTOP });
        await fresh.addInitScript(watchReadiness, { titles: [], previews: [] });
        const visitorPage = problems.watch(await fresh.newPage(), `new visitor ${run + 1}`);
        if (throttled) await throttle(await fresh.newCDPSession(visitorPage));
        await visitorPage.goto(proxy.origin, { waitUntil: 'commit' });
        results.push(await readyTimes(visitorPage, 'sign-in', problems));
        await fresh.close();
      }
      return results;
    };

    // One reload first, so the scripts are in the cache the way a returning user has them.
    await returning(1, false);
    const warm = await returning(RUNS, false);
    const cold = await returning(RUNS, true);
    const visitors = await newVisitor(RUNS, false);
    await throttle(cdp);
    await returning(1, false);
    const warmThrottled = await returning(THROTTLED_RUNS, false);
    const coldThrottled = await returning(THROTTLED_RUNS, true);
    const visitorsThrottled = await newVisitor(THROTTLED_RUNS, true);
    const [loadAtEnd = Number.NaN] = loadavg();

    const row = (label: string, samples: readonly Sample[]) => {
      const at = summary(samples.map((r) => r.at));
      const kib = Math.round(p50(samples.map((r) => r.scriptBytes)) / 1024);
      return `| ${label} | ${ms(at.p50)} | ${ms(at.max)} | ${samples.length} | ${kib} KiB in ${samples[0]?.scripts ?? 0} |`;
    };
    const steps: ReadonlyArray<readonly [string, (r: Sample) => number]> = [
      ['page and its scripts run (DOMContentLoaded)', (r) => r.domContentLoaded],
      ...MARKS.map(([, meaning], index) => [meaning, (r: Sample) => r.marks[index] ?? Number.NaN] as const),
      ['list complete in the DOM', (r) => r.inDom],
      ['frame that paints it starts (the "usable" time above)', (r) => r.at],
    ];
    return [
      '## Web client: time to a usable conversation list',
      '',
      `The production build in headless Chromium (${browser.version()}), ${CONVERSATIONS} direct conversations with ${MESSAGES_EACH} messages each, the decrypted history in the browser's encrypted IndexedDB. The local stack serves the page through a proxy that adds what CloudFront adds (gzip; hashed assets cached for a year, \`index.html\` and \`/config.json\` never). Browser, stack and proxy share the same 2 cores. Times are from navigation start (\`performance.now()\` in the page) to the start of the frame that paints the screen complete: for the list, every conversation's name and decrypted last message; for a new visitor, the sign-in form. Load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end.`,
      '',
      '| | p50 | max | runs | script over the network (p50), files |',
      '|---|---|---|---|---|',
      row('returning user, reload → usable list', warm),
      row('returning user, HTTP cache cleared → usable list', cold),
      row('new visitor → sign-in form', visitors),
      row(`returning user, reload → usable list, throttled (${MOBILE_NETWORK_LABEL})`, warmThrottled),
      row('returning user, HTTP cache cleared → usable list, throttled', coldThrottled),
      row('new visitor → sign-in form, throttled', visitorsThrottled),
      '',
      'When each step of a reload is done (p50 of each, ms since navigation start; the chat code loads alongside the session refresh):',
      '',
      '| step done | unthrottled | throttled |',
      '|---|---|---|',
      ...steps.map(
        ([label, of]) => `| ${label} | ${ms(p50(warm.map(of)))} | ${ms(p50(warmThrottled.map(of)))} |`,
      ),
      '',
      `The pages' console errors and warnings and uncaught exceptions, all runs: ${problems}`,
    ];
  } finally {
    await Promise.all(devices.map((d) => d.close()));
    await browser.close();
    await stack.stop();
    await proxy.close();
  }
}
