import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackOutputs } from '../../shared/client/stage';
import { close, LOCAL_HOST, listen } from './listen';
import type { Mailbox } from './mailbox';

const WEB_ROOT = resolve(fileURLToPath(new URL('../../web', import.meta.url)));
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

export interface LocalDevServer {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Serves the web client (`web/`), the stage's outputs at `/outputs.json`,
 * and the local dev mailbox: the codes the identity provider would have
 * emailed, at `/mailbox` (HTML) and `/mailbox.json`.
 */
export async function startDevServer(options: {
  port: number;
  /** Read on each request: the outputs are complete once every part has started. */
  outputs: () => StackOutputs;
  mailbox: Mailbox;
}): Promise<LocalDevServer> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    const send = (status: number, type: string, body: string | Buffer) => {
      response.writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        'content-security-policy':
          "default-src 'self'; connect-src 'self' ws://127.0.0.1:* http://127.0.0.1:* ws://localhost:* http://localhost:*",
        'x-content-type-options': 'nosniff',
      });
      response.end(body);
    };
    if (path === '/outputs.json')
      return send(200, CONTENT_TYPES['.json'] as string, JSON.stringify(options.outputs()));
    if (path === '/mailbox.json') {
      return send(200, CONTENT_TYPES['.json'] as string, JSON.stringify(options.mailbox.list()));
    }
    if (path === '/mailbox') return send(200, CONTENT_TYPES['.html'] as string, mailboxPage(options.mailbox));
    const file = normalize(join(WEB_ROOT, path === '/' ? 'index.html' : path));
    if (!file.startsWith(WEB_ROOT)) return send(404, 'text/plain', 'Not found');
    readFile(file).then(
      (body) => send(200, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', body),
      () => send(404, 'text/plain', 'Not found'),
    );
  });
  const port = await listen(server, options.port);
  return { url: `http://${LOCAL_HOST}:${port}`, stop: () => close(server) };
}

function mailboxPage(mailbox: Mailbox): string {
  const rows = [...mailbox.list()]
    .reverse()
    .map(
      (mail) =>
        `<tr><td>${escapeHtml(mail.sentAt)}</td><td>${escapeHtml(mail.to)}</td><td>${escapeHtml(mail.reason)}</td><td><code>${escapeHtml(mail.code)}</code></td></tr>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="3"><title>Parley local mailbox</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}code{font-size:1.2em}</style></head>
<body><h1>Local mailbox</h1><p>Verification codes the local stage would have emailed. Refreshes every 3 seconds.</p>
<table><thead><tr><th>Sent</th><th>To</th><th>Why</th><th>Code</th></tr></thead><tbody>${rows || '<tr><td colspan="4">No mail yet.</td></tr>'}</tbody></table></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
