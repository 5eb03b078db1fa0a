/**
 * Runs a browser bundle in headless Chromium: the page is served from 127.0.0.1 on a free port (a secure
 * context, so WebCrypto is there) and cross-origin isolated, so `performance.now()` has 5 µs resolution
 * rather than 100 µs.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium, type Page } from 'playwright-core';
import { chromiumToLaunch } from '../test/support/chromium';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

/** Bundles `entry` for the browser, the way a web client would ship it. */
export async function bundleForBrowser(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2023',
    minify: true,
    write: false,
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error(`esbuild produced nothing for ${entry}`);
  return output.text;
}

function serve(script: string): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html', ...ISOLATION_HEADERS });
      response.end('<!doctype html><script type="module" src="/bench.js"></script>');
    } else if (request.url === '/bench.js') {
      response.writeHead(200, { 'content-type': 'text/javascript', ...ISOLATION_HEADERS });
      response.end(script);
    } else {
      // The page asks for nothing else but a favicon; an empty answer keeps the console quiet.
      response.writeHead(204).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** What {@link inChromium} hands its callback. */
export interface ChromiumRun {
  readonly page: Page;
  /** The browser's version string, for the report. */
  readonly version: string;
  readonly crossOriginIsolated: boolean;
}

/** Whether this run has said which Chromium it drives. */
let described = false;

/**
 * Loads `script` (an ES module) into a fresh page, waits until `ready` names a global it defines, and runs
 * `use`. The server and the browser are stopped afterwards, whatever happens.
 */
export async function inChromium<T>(
  script: string,
  ready: string,
  use: (run: ChromiumRun) => Promise<T>,
): Promise<T> {
  const picked = await chromiumToLaunch();
  if (!described) process.stderr.write(`  ${picked.description}\n`);
  described = true;
  const server = await serve(script);
  try {
    const browser = await chromium.launch({
      executablePath: picked.executablePath,
      env: picked.env,
      args: CHROMIUM_ARGS,
    });
    try {
      const page = await browser.newPage();
      page.on('console', (message) => process.stderr.write(`  chromium: ${message.text()}\n`));
      page.on('pageerror', (error) => process.stderr.write(`  chromium error: ${error.message}\n`));
      const { port } = server.address() as AddressInfo;
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction((name) => name in globalThis, ready);
      const crossOriginIsolated = await page.evaluate(() => globalThis.crossOriginIsolated);
      return await use({ page, version: browser.version(), crossOriginIsolated });
    } finally {
      await browser.close();
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}
