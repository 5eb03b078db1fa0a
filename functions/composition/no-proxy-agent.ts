/**
 * Stands in for `https-proxy-agent` in function bundles (an esbuild alias, `infra/bundling.ts`). The
 * `web-push` library requires it only when a push is sent through an HTTP proxy (its `proxy` option),
 * which Parley never sets: functions reach the push services directly. Left out, it saves the agent and
 * `debug` (about 5 KiB gzip) in the push sender. Should the option ever be set, the push fails with this
 * error instead. Unbundled code (tests, tools) keeps the real module.
 */
export class HttpsProxyAgent {
  constructor() {
    throw new Error(
      'https-proxy-agent is left out of function bundles (functions/composition/no-proxy-agent.ts): ' +
        'drop its esbuild alias to send pushes through a proxy',
    );
  }
}
