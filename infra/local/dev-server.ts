import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { StackOutputs } from '../../shared/client/stage';
import { WEB_CONFIG_PATH, type WebConfig } from '../../shared/client/web-config';
import { buildWeb, WebBuildError, type WebBuildMode, type WebBuildOutcome, watchWeb } from '../web-build';
import { originsOf, webSecurityHeaders } from '../web-headers';
import { close, LOCAL_HOST, listen } from './listen';
import type { Mailbox } from './mailbox';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export interface DevServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Where the development build of the web client goes (`.local/web`); emptied at start. */
  readonly buildDir: string;
  /**
   * Rebuild the web client when a file under `web/` changes.
   * @default false (one build at start)
   */
  readonly watch?: boolean;
  /**
   * How the web client is built: `production` is what the site serves on AWS (minified), for measuring.
   * @default 'development'
   */
  readonly mode?: WebBuildMode;
  /** Read on each request: the outputs are complete once every part has started. */
  readonly outputs: () => StackOutputs;
  /** The web client's configuration, once every part has started; served as `/config.json`. */
  readonly webConfig: () => WebConfig | undefined;
  readonly mailbox: Mailbox;
  /**
   * Where the app fetches beyond the stage's configured endpoints: the object store its attachment forms
   * and links point at (they come from the API, not from `config.json`).
   * @default none
   */
  readonly connectSources?: readonly string[];
  /** A web build that failed; the server runs on, and the page says what broke. */
  readonly onBuildError?: (error: Error) => void;
}

export interface LocalDevServer {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Serves the web client, built by esbuild in development mode (and rebuilt
 * on change when watching), with the same security headers as the deployed
 * site. Beside it: the stage's configuration at `/config.json`, its outputs
 * at `/outputs.json`, and the local dev mailbox, the codes the identity
 * provider would have emailed, at `/mailbox` (HTML) and `/mailbox.json`.
 * Unknown paths without a file extension get `index.html`: they are the
 * app's own routes.
 */
export async function startDevServer(options: DevServerOptions): Promise<LocalDevServer> {
  const root = resolve(options.buildDir);
  let build: WebBuildOutcome | undefined;
  const onBuild = (outcome: WebBuildOutcome) => {
    build = outcome;
    if (!outcome.ok) options.onBuildError?.(outcome.error);
  };
  const mode = options.mode ?? 'development';
  const watcher = options.watch ? await watchWeb({ outDir: root, mode, onBuild }) : undefined;
  if (!watcher) {
    onBuild(
      await buildWeb({ outDir: root, mode }).then(
        (result) => ({ ok: true, result }) as const,
        (error: unknown) => ({
          ok: false,
          error: error instanceof WebBuildError ? error : new WebBuildError('Build failed', { cause: error }),
        }),
      ),
    );
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://local');
    const path = url.pathname;
    const config = options.webConfig();
    const send = (
      status: number,
      type: string,
      body: string | Buffer,
      extra: Record<string, string> = {},
    ) => {
      response.writeHead(status, {
        ...securityHeaders(config, options.connectSources ?? []),
        'content-type': type,
        'cache-control': 'no-cache',
        ...extra,
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    const json = (value: unknown) => send(200, CONTENT_TYPES['.json'] as string, JSON.stringify(value));

    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return send(405, 'text/plain', 'Method not allowed', { allow: 'GET, HEAD' });
    }
    if (path === WEB_CONFIG_PATH) {
      return config ? json(config) : send(503, 'text/plain', 'The local stack is still starting');
    }
    if (path === '/outputs.json') return json(options.outputs());
    if (path === '/mailbox.json') {
      const to = url.searchParams.get('to');
      return json(to ? options.mailbox.listFor(to) : options.mailbox.list());
    }
    if (path === '/mailbox') return send(200, CONTENT_TYPES['.html'] as string, mailboxPage(options.mailbox));
    if (path === '/mailbox.css') return send(200, CONTENT_TYPES['.css'] as string, MAILBOX_CSS);
    // The page says why the app did not build; its assets from the last good build stay served.
    const page = extname(path) === '' || path === '/index.html';
    if (page && build && !build.ok) return send(500, 'text/plain; charset=utf-8', build.error.message);

    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (file !== root && !file.startsWith(root + sep)) return send(404, 'text/plain', 'Not found');
    serveFile(file, send).catch(() => {
      // A client-side route (`/c/123`) has no extension; a missing asset does, and stays a 404.
      if (!page) return send(404, 'text/plain', 'Not found');
      return serveFile(join(root, 'index.html'), send).catch(() => send(404, 'text/plain', 'Not found'));
    });
  });
  const port = await listen(server, options.port).catch(async (error: unknown) => {
    await watcher?.dispose();
    throw error;
  });
  return {
    url: `http://${LOCAL_HOST}:${port}`,
    stop: async () => {
      await watcher?.dispose();
      await close(server);
    },
  };
}

type Send = (status: number, type: string, body: string | Buffer) => void;

async function serveFile(file: string, send: Send): Promise<void> {
  const body = await readFile(file);
  send(200, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', body);
}

/**
 * The deployed site's headers, with the local endpoints to connect to in
 * place of the region's. No HSTS: the local stack is plain HTTP, and
 * HSTS on 127.0.0.1 would outlive the session in the browser.
 */
function securityHeaders(config: WebConfig | undefined, more: readonly string[]): Record<string, string> {
  const endpoints = config ? [config.httpApiUrl, config.webSocketUrl, config.cognitoEndpoint, ...more] : [];
  return webSecurityHeaders({ connectSources: originsOf(endpoints), strictTransportSecurity: false });
}

/** Its own file: the page's CSP allows no inline style. */
const MAILBOX_CSS =
  'body{font:15px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}' +
  'td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}code{font-size:1.2em}\n';

function mailboxPage(mailbox: Mailbox): string {
  const rows = [...mailbox.list()]
    .reverse()
    .map(
      (mail) =>
        `<tr><td>${escapeHtml(mail.sentAt)}</td><td>${escapeHtml(mail.to)}</td><td>${escapeHtml(mail.reason)}</td><td><code>${escapeHtml(mail.code)}</code></td></tr>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="3"><title>Parley local mailbox</title>
<link rel="stylesheet" href="/mailbox.css"></head>
<body><h1>Local mailbox</h1><p>Verification codes the local stage would have emailed. Refreshes every 3 seconds.</p>
<table><thead><tr><th>Sent</th><th>To</th><th>Why</th><th>Code</th></tr></thead><tbody>${rows || '<tr><td colspan="4">No mail yet.</td></tr>'}</tbody></table></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
