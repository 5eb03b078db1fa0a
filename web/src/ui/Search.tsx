import { useEffect, useRef, useState } from 'preact/hooks';
import { excerpt, type SearchHit } from '../app/message-search';
import { type ChatModel, describeError, previewOf } from '../app/model';
import { fullDateTime } from '../app/timeline';
import { formatTime } from './hooks';

/** Results shown at first, and added by each "Show more". */
const RESULTS_PER_PAGE = 50;
/** Typing pauses this long before the search runs: every key would read the store otherwise. */
const SEARCH_AFTER_TYPING_IN_MS = 150;

/** Ctrl+Shift+F opens the search (as in Slack and editors); Ctrl+F stays the browser's find in page. */
export function useSearchShortcut(onOpen: () => void): void {
  const latest = useRef(onOpen);
  latest.current = onOpen;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.ctrlKey || !e.shiftKey || e.altKey || e.metaKey || e.key.toLowerCase() !== 'f') return;
      e.preventDefault();
      latest.current();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
}

type Found =
  | { readonly kind: 'idle' }
  | { readonly kind: 'searching' }
  | {
      readonly kind: 'done';
      readonly query: string;
      readonly hits: readonly SearchHit[];
      readonly more: boolean;
    }
  | { readonly kind: 'failed'; readonly message: string };

/**
 * Search over the messages this browser keeps, in every conversation: a modal dialog with a search field
 * and the results, newest first, each naming its conversation, sender and date, with what matched marked.
 * Choosing one opens its conversation at the message. Esc or a click outside closes it; focus stays inside
 * while it is open and goes back where it was after.
 */
export function SearchDialog(props: {
  model: ChatModel;
  onClose: () => void;
  onReveal: (conversationId: string, seq: number) => void;
}) {
  const { model } = props;
  const [query, setQuery] = useState('');
  const [limit, setLimit] = useState(RESULTS_PER_PAGE);
  const [found, setFound] = useState<Found>({ kind: 'idle' });
  const dialog = useRef<HTMLDivElement>(null);
  const field = useRef<HTMLInputElement>(null);
  /** The latest search asked for: an earlier one answering late is not shown. */
  const asked = useRef(0);

  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    field.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') props.onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      before?.focus();
    };
  }, []);

  useEffect(() => {
    const ask = ++asked.current;
    if (!query.trim()) {
      setFound({ kind: 'idle' });
      return;
    }
    const timer = setTimeout(() => {
      setFound((current) => (current.kind === 'done' ? current : { kind: 'searching' }));
      model.searchMessages(query, limit).then(
        ({ hits, more }) => {
          if (ask === asked.current) setFound({ kind: 'done', query, hits, more });
        },
        (error: unknown) => {
          if (ask === asked.current) setFound({ kind: 'failed', message: describeError(error) });
        },
      );
    }, SEARCH_AFTER_TYPING_IN_MS);
    return () => clearTimeout(timer);
  }, [query, limit]);

  /** Tab and Shift+Tab go round the dialog's controls: a modal dialog keeps the focus. */
  const keepFocus = (e: KeyboardEvent) => {
    if (e.key !== 'Tab' || !dialog.current) return;
    const controls = [...dialog.current.querySelectorAll<HTMLElement>('input, button')];
    const first = controls[0];
    const last = controls.at(-1);
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last?.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first?.focus();
    }
  };

  const status =
    found.kind === 'searching'
      ? 'Searching…'
      : found.kind === 'failed'
        ? found.message
        : found.kind === 'done'
          ? found.hits.length === 0
            ? `No messages found for “${found.query.trim()}” in this browser.`
            : `${found.hits.length}${found.more ? '+' : ''} ${found.hits.length === 1 ? 'message' : 'messages'} found for “${found.query.trim()}”`
          : 'Searches the messages kept in this browser, offline too.';

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions lint/a11y/useKeyWithClickEvents: a click outside closes it; Esc does, from the document's listener
    <div class="modal-backdrop search-backdrop" onClick={props.onClose}>
      <div
        ref={dialog}
        class="modal search-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="search-title"
        onClick={(e) => e.stopPropagation()}
        onKeyDown={keepFocus}
      >
        <div class="search-head">
          <h2 id="search-title">Search messages</h2>
          <button type="button" class="icon" aria-label="Close search" onClick={props.onClose}>
            ×
          </button>
        </div>
        <input
          ref={field}
          type="search"
          class="search-field"
          aria-label="Search messages"
          aria-describedby="search-status"
          placeholder="Search messages"
          autocomplete="off"
          spellcheck={false}
          value={query}
          onInput={(e) => {
            setQuery(e.currentTarget.value);
            setLimit(RESULTS_PER_PAGE);
          }}
        />
        <p id="search-status" class="small muted" role="status">
          {status}
        </p>
        {found.kind === 'done' && found.hits.length > 0 ? (
          <ol class="search-results" aria-label="Search results">
            {found.hits.map((hit) => (
              <SearchResult
                key={`${hit.conversationId}/${hit.message.seq}`}
                model={model}
                hit={hit}
                query={found.query}
                onChoose={() => props.onReveal(hit.conversationId, hit.message.seq)}
              />
            ))}
          </ol>
        ) : null}
        {found.kind === 'done' && found.more ? (
          <button
            type="button"
            class="link search-more"
            onClick={() => setLimit((n) => n + RESULTS_PER_PAGE)}
          >
            Show more results
          </button>
        ) : null}
      </div>
    </div>
  );
}

function SearchResult(props: { model: ChatModel; hit: SearchHit; query: string; onChoose: () => void }) {
  const { model, hit } = props;
  const conversation = model.state.conversations.find((c) => c.conversationId === hit.conversationId);
  const title = conversation ? model.titleOf(conversation) : 'A conversation';
  const sender = hit.message.senderId === model.state.me.userId ? 'You' : model.nameOf(hit.message.senderId);
  // The text as written, matches marked; a file without a caption by its name.
  const pieces = excerpt(hit.message.text || previewOf(hit.message), props.query);
  return (
    <li>
      <button type="button" class="search-result" onClick={props.onChoose}>
        <span class="search-meta small">
          <strong class="search-title">{title}</strong>
          {/* In a direct chat the title names the other person already. */}
          {sender !== title ? <span class="muted">{sender}</span> : null}
          <time class="muted" dateTime={hit.message.sentAt} title={fullDateTime(hit.message.sentAt)}>
            {formatTime(hit.message.sentAt)}
          </time>
        </span>
        <span class="search-text">
          {pieces.map((piece, i) =>
            piece.mark ? <mark key={i}>{piece.text}</mark> : <span key={i}>{piece.text}</span>,
          )}
        </span>
      </button>
    </li>
  );
}
