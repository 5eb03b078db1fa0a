/**
 * What the service worker tells the app's open windows, through `postMessage`. Checked by hand on the
 * app's side: a message event carries whatever a worker of this origin sent.
 */

/** Open this conversation: the person clicked its notification. */
export interface OpenConversationMessage {
  readonly type: 'parley:open-conversation';
  readonly conversationId: string;
}

/** The browser replaced this device's push subscription: send the new one to the server. */
export interface SubscriptionChangedMessage {
  readonly type: 'parley:push-subscription-changed';
}

export type WorkerMessage = OpenConversationMessage | SubscriptionChangedMessage;

/** The message in `data`, or `undefined` when it is none the worker sends. */
export function parseWorkerMessage(data: unknown): WorkerMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { type, conversationId } = data as Record<string, unknown>;
  if (type === 'parley:open-conversation' && typeof conversationId === 'string' && conversationId !== '') {
    return { type, conversationId };
  }
  if (type === 'parley:push-subscription-changed') return { type };
  return undefined;
}

/**
 * The app's address that opens a conversation: its id in the fragment, as the app's own links keep it
 * (`ChatApp` reads it at start and on `hashchange`), so the server never sees which chat was opened.
 *
 * @example
 * conversationUrl('https://parley.example/', 'c-123'); // 'https://parley.example/#c-123'
 */
export function conversationUrl(scope: string, conversationId: string | undefined): string {
  const url = new URL(scope);
  url.hash = conversationId ?? '';
  return url.href;
}
