import { conversationUrl } from './messages';

/** What the worker knows of one of the origin's windows (a `WindowClient`). */
export interface WindowFacts {
  readonly url: string;
  readonly visibilityState: DocumentVisibilityState;
  readonly focused: boolean;
}

/**
 * Whether the person is looking at Parley right now: then the open app says what came (it shows a note in
 * the page for another chat), and a system notification would only repeat it.
 */
export function someoneIsLooking(windows: readonly WindowFacts[]): boolean {
  return windows.some((w) => w.visibilityState === 'visible' && w.focused);
}

/** What a click on a notification does: bring a window forward and tell it the chat, or open one on it. */
export type ClickPlan =
  | { readonly kind: 'focus'; readonly index: number }
  | { readonly kind: 'open'; readonly url: string };

/**
 * The window a click goes to: the focused one, else a visible one, else any of the app's; none open, a
 * new window on the conversation's address.
 *
 * @example
 * planClick([], 'https://parley.example/', 'c1'); // { kind: 'open', url: 'https://parley.example/#c1' }
 */
export function planClick(
  windows: readonly WindowFacts[],
  scope: string,
  conversationId: string | undefined,
): ClickPlan {
  const inScope = windows.map((w, index) => ({ w, index })).filter(({ w }) => w.url.startsWith(scope));
  const rank = ({ w }: { w: WindowFacts }) => (w.focused ? 0 : w.visibilityState === 'visible' ? 1 : 2);
  const best = inScope.sort((a, b) => rank(a) - rank(b))[0];
  return best
    ? { kind: 'focus', index: best.index }
    : { kind: 'open', url: conversationUrl(scope, conversationId) };
}
