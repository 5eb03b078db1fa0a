import type { RefObject } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ChatModel } from '../app/model';

/** A message to bring into view; `at` tells a second request for the same message from the first. */
export interface RevealTarget {
  readonly seq: number;
  readonly at: number;
}

/** Messages shown above the one revealed, so it is not the first line of the list. */
const SHOWN_ABOVE = 5;
/** How long the revealed message stays marked (its fade is in the style sheet). */
const MARKED_FOR_IN_MS = 4_000;

/**
 * Brings a message of the open conversation into view, reading earlier pages from the store as far as
 * needed: `show` makes the list show at least that many of the newest messages, `hold` stops it following
 * the newest. The message is scrolled to the middle (smoothly, unless the person asked for reduced motion),
 * marked for a moment with the `found` class, and given focus, so a screen reader reads it.
 */
export function useReveal(options: {
  readonly model: ChatModel;
  readonly conversationId: string;
  readonly target: RevealTarget | undefined;
  readonly list: RefObject<HTMLElement | null>;
  readonly show: (count: number) => void;
  readonly hold: () => void;
}): void {
  const { model, conversationId, target, list } = options;
  const [pending, setPending] = useState<number>();

  useEffect(() => {
    if (!target) return;
    let cancelled = false;
    void (async () => {
      const kept = await model.loadUntil(conversationId, target.seq);
      if (cancelled) return;
      if (!kept) {
        model.notify('That message is no longer kept in this browser.');
        return;
      }
      const all = model.state.messages[conversationId] ?? [];
      const position = all.findIndex((m) => m.seq === target.seq);
      options.hold();
      options.show(all.length - position + SHOWN_ABOVE);
      setPending(target.seq);
    })();
    return () => {
      cancelled = true;
    };
  }, [conversationId, target?.at]);

  // After every render until the message is there: pages load and render in more than one step.
  useEffect(() => {
    if (pending === undefined) return;
    const item = list.current?.querySelector<HTMLElement>(`li.message[data-seq="${pending}"]`);
    if (!item) return;
    setPending(undefined);
    const reduced = matchMedia('(prefers-reduced-motion: reduce)').matches;
    item.scrollIntoView({ block: 'center', behavior: reduced ? 'auto' : 'smooth' });
    item.focus({ preventScroll: true });
    item.classList.add('found');
    setTimeout(() => item.classList.remove('found'), MARKED_FOR_IN_MS);
  });
}
