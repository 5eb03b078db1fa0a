import { useEffect, useRef } from 'preact/hooks';
import type { ConversationView } from '../app/model';

/** The keys the app answers anywhere, as shown in the shortcuts dialog (Ctrl+/). */
export const SHORTCUTS: ReadonlyArray<readonly [keys: string, does: string]> = [
  ['Alt + ↓', 'Next conversation'],
  ['Alt + ↑', 'Previous conversation'],
  ['Alt + Shift + ↓', 'Next conversation with unread messages'],
  ['Alt + Shift + ↑', 'Previous conversation with unread messages'],
  ['Ctrl + Shift + F', 'Search messages'],
  ['Ctrl + /', 'Show these shortcuts'],
  ['↑ ↓ Home End', 'In the message list: from message to message'],
  ['Enter', 'On a message: its actions'],
  ['Esc', 'Close a menu or dialog; cancel a reply or an edit'],
];

/**
 * Alt+↑/↓ move through the conversation list (with Shift, through those with unread messages only), from
 * the open one, wrapping round; Ctrl+/ opens the list of shortcuts. Browsers and screen readers do not use
 * these in a page, and Signal Desktop and Slack use the same.
 */
export function useShortcuts(options: {
  readonly conversations: readonly ConversationView[];
  readonly openId: string | undefined;
  readonly onSelect: (conversationId: string) => void;
  readonly onHelp: () => void;
}): void {
  // The handler is added once; it reads the latest list and selection from here.
  const latest = useRef(options);
  latest.current = options;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const { conversations, openId, onSelect, onHelp } = latest.current;
      if (e.ctrlKey && !e.altKey && e.key === '/') {
        e.preventDefault();
        onHelp();
        return;
      }
      if (!e.altKey || e.ctrlKey || e.metaKey || (e.key !== 'ArrowDown' && e.key !== 'ArrowUp')) return;
      const next = neighbour(conversations, openId, e.key === 'ArrowDown' ? 1 : -1, e.shiftKey);
      if (next === undefined) return;
      e.preventDefault();
      onSelect(next);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
}

/** The conversation `step` places from the open one (wrapping), among those with unread messages if `unread`. */
export function neighbour(
  conversations: readonly ConversationView[],
  openId: string | undefined,
  step: 1 | -1,
  unread: boolean,
): string | undefined {
  const count = conversations.length;
  const at = conversations.findIndex((c) => c.conversationId === openId);
  // With none open, the first step down is the first conversation, and up the last.
  const from = at !== -1 ? at : step === 1 ? -1 : count;
  for (let i = 1; i <= count; i++) {
    const index = (((from + step * i) % count) + count) % count;
    const candidate = conversations[index];
    if (candidate && candidate.conversationId !== openId && (!unread || candidate.unread > 0))
      return candidate.conversationId;
  }
  return undefined;
}

/** The list of shortcuts, as a modal dialog that Esc or a click outside closes, focus kept inside it. */
export function ShortcutsDialog(props: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') props.onClose();
    };
    document.addEventListener('keydown', onKey);
    const id = before?.id;
    return () => {
      document.removeEventListener('keydown', onKey);
      // Once the page is drawn without the dialog: the element may have been drawn anew meanwhile (a
      // phone turned, and the layout with it), and its namesake then takes the focus back.
      requestAnimationFrame(() => {
        const back = before?.isConnected ? before : id ? document.getElementById(id) : null;
        back?.focus();
      });
    };
  }, []);
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions lint/a11y/useKeyWithClickEvents: a click outside closes it; Esc does, from the document's listener
    <div class="modal-backdrop" onClick={props.onClose}>
      <div
        class="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="shortcuts-title"
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          // Its one control keeps the focus: Tab does not leave a modal dialog.
          if (e.key === 'Tab') {
            e.preventDefault();
            close.current?.focus();
          }
        }}
      >
        <h2 id="shortcuts-title">Keyboard shortcuts</h2>
        <dl class="shortcuts">
          {SHORTCUTS.map(([keys, does]) => (
            <div key={keys}>
              <dt>
                <kbd>{keys}</kbd>
              </dt>
              <dd>{does}</dd>
            </div>
          ))}
        </dl>
        <button type="button" ref={close} onClick={props.onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
