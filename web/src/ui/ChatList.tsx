import { useEffect, useRef, useState } from 'preact/hooks';
import { MUTED_FOREVER } from '../../../shared/protocol/limits';
import { chatListOf, isMuted, matchesSearch } from '../app/chat-list';
import type { ChatModel, ConversationView, ModelState } from '../app/model';
import { Avatar } from './Avatar';
import { formatTime } from './hooks';
import { Icon } from './Icon';
import { ArrowLeft, CircleAlert, Ellipsis, X } from './icons';

const HOUR_IN_MS = 60 * 60 * 1000;
const MUTE_CHOICES = [
  { label: 'Mute for 1 hour', ms: HOUR_IN_MS },
  { label: 'Mute for 8 hours', ms: 8 * HOUR_IN_MS },
  { label: 'Mute for 1 week', ms: 7 * 24 * HOUR_IN_MS },
  { label: 'Mute always', ms: undefined },
] as const;

/**
 * The conversation list: a search by name (Ctrl+K or ⌘K focuses it, Esc clears it), pinned chats on
 * top, archived ones behind an "Archived (N)" entry, and a menu per row (⋯, or right-click) to pin,
 * archive, mute and mark unread.
 */
export function ChatList(props: {
  model: ChatModel;
  state: ModelState;
  openId: string | undefined;
  onSelect: (conversationId: string | undefined) => void;
}) {
  const { model, state } = props;
  const [query, setQuery] = useState('');
  const [archive, setArchive] = useState(false);
  const search = useRef<HTMLInputElement>(null);

  useEffect(() => {
    // Ctrl+K (⌘K on a Mac), as Element and Slack use: Ctrl+F stays the browser's find in page.
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'k') {
        event.preventDefault();
        search.current?.focus();
        search.current?.select();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const searching = query.trim() !== '';
  // Once the last archived chat is taken out of the archive, the main list shows again.
  const inArchive = archive && !searching && state.conversations.some((c) => c.archived);
  const { rows, archivedCount } = chatListOf(state.conversations, {
    view: searching ? 'all' : inArchive ? 'archived' : 'main',
    matches: (c) => !searching || matchesSearch(model.titleOf(c), query),
  });
  useEffect(() => {
    if (archive && archivedCount === 0) setArchive(false);
  }, [archive, archivedCount]);

  return (
    <>
      <div class="chat-search">
        <label class="sr-only" for="chat-search">
          Search chats
        </label>
        <input
          id="chat-search"
          class="chat-search-input"
          ref={search}
          type="text"
          autocomplete="off"
          placeholder="Search chats (Ctrl+K)"
          aria-keyshortcuts="Control+K Meta+K"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape' && query !== '') {
              e.preventDefault();
              setQuery('');
            }
          }}
        />
        {query !== '' ? (
          <button
            type="button"
            class="icon clear-search"
            aria-label="Clear search"
            onClick={() => {
              setQuery('');
              search.current?.focus();
            }}
          >
            <Icon icon={X} size={16} />
          </button>
        ) : null}
      </div>
      {inArchive ? (
        <div class="archive-header">
          <button
            type="button"
            class="back icon"
            aria-label="Back to chats"
            onClick={() => setArchive(false)}
          >
            <Icon icon={ArrowLeft} />
          </button>
          <h2>Archived</h2>
        </div>
      ) : null}
      {!searching && !inArchive && archivedCount > 0 ? (
        <button type="button" class="archived-entry" onClick={() => setArchive(true)}>
          <ArchiveIcon />
          <span>Archived</span>
          <span class="muted">({archivedCount})</span>
        </button>
      ) : null}
      {state.conversations.length === 0 ? (
        <p class="empty muted">No conversations yet. Find people to start one.</p>
      ) : rows.length === 0 ? (
        <p class="empty muted" role="status">
          {searching ? `No chats match “${query.trim()}”.` : 'No chats here.'}
        </p>
      ) : (
        <ul class="conversation-list" aria-label={inArchive ? 'Archived chats' : 'Chats'}>
          {rows.map((c) => (
            <ConversationItem
              key={c.conversationId}
              model={model}
              conversation={c}
              active={c.conversationId === props.openId}
              onSelect={props.onSelect}
            />
          ))}
        </ul>
      )}
      {searching ? (
        <p class="sr-only" role="status">
          {rows.length === 1 ? '1 chat' : `${rows.length} chats`}
        </p>
      ) : null}
    </>
  );
}

function ConversationItem(props: {
  model: ChatModel;
  conversation: ConversationView;
  active: boolean;
  onSelect: (conversationId: string | undefined) => void;
}) {
  const { model, conversation: c } = props;
  const [menuOpen, setMenuOpen] = useState(false);
  const trigger = useRef<HTMLButtonElement>(null);
  const title = model.titleOf(c);
  const other = c.kind === 'direct' ? c.memberIds.find((id) => id !== model.state.me.userId) : undefined;
  // Offline, this browser cannot know who is online: it shows nobody so.
  const online =
    other !== undefined && model.state.status === 'online' && model.state.presence[other]?.online === true;
  const muted = isMuted(c);
  // A message the server refused stays in the chat until retried or deleted; the row says so, as WhatsApp's does.
  const notSent = model.state.outbox.findLast(
    (item) =>
      item.conversationId === c.conversationId && item.failed !== undefined && item.kind !== 'reaction',
  );
  const closeMenu = (refocus: boolean) => {
    setMenuOpen(false);
    if (refocus) trigger.current?.focus();
  };
  return (
    <li
      class={`conversation-row ${menuOpen ? 'menu-open' : ''}`}
      onContextMenu={(e) => {
        e.preventDefault();
        setMenuOpen(true);
      }}
    >
      <button
        type="button"
        class={`conversation ${props.active ? 'active' : ''}`}
        aria-current={props.active ? 'true' : undefined}
        onClick={() => props.onSelect(c.conversationId)}
      >
        <Avatar name={title} id={other ?? c.conversationId}>
          {other !== undefined ? <span class={`dot ${online ? 'online' : ''}`} /> : null}
        </Avatar>
        <span class="conversation-text">
          <span class="conversation-title">
            <span class="title-text">{title}</span>
            {other !== undefined ? <span class="sr-only">{online ? ', online' : ', offline'}</span> : null}
            {c.pinned ? (
              <span class="row-icon" title="Pinned">
                <PinIcon />
                <span class="sr-only">, pinned</span>
              </span>
            ) : null}
            {muted ? (
              <span class="row-icon" title="Muted">
                <MutedIcon />
                <span class="sr-only">, muted</span>
              </span>
            ) : null}
          </span>
          {notSent ? (
            <span class="preview not-sent-preview">
              <Icon icon={CircleAlert} size={14} />
              <span class="preview-text">
                Not sent: {notSent.text || notSent.attachment?.facts.name || 'a file'}
              </span>
            </span>
          ) : (
            <span class="preview muted">
              {c.preview ?? (c.lastSeq > 0 ? 'Encrypted message' : 'No messages yet')}
            </span>
          )}
        </span>
        <span class="conversation-meta">
          <span class="small muted">{formatTime(c.lastActivityAt)}</span>
          {c.unread > 0 ? (
            <span class={`badge ${muted ? 'badge-muted' : ''}`}>
              {c.unread}
              <span class="sr-only"> unread</span>
            </span>
          ) : c.markedUnread ? (
            <span class={`badge unread-mark ${muted ? 'badge-muted' : ''}`}>
              <span class="sr-only">marked unread</span>
            </span>
          ) : null}
        </span>
      </button>
      <button
        ref={trigger}
        type="button"
        class="icon row-menu-button"
        aria-label="Chat options"
        aria-haspopup="menu"
        aria-expanded={menuOpen}
        onClick={() => setMenuOpen(!menuOpen)}
      >
        <Icon icon={Ellipsis} size={18} />
      </button>
      {menuOpen ? (
        <RowMenu
          model={model}
          conversation={c}
          title={title}
          active={props.active}
          onSelect={props.onSelect}
          onClose={closeMenu}
        />
      ) : null}
    </li>
  );
}

function RowMenu(props: {
  model: ChatModel;
  conversation: ConversationView;
  title: string;
  active: boolean;
  onSelect: (conversationId: string | undefined) => void;
  onClose: (refocus: boolean) => void;
}) {
  const { model, conversation: c } = props;
  const menu = useRef<HTMLDivElement>(null);
  const id = c.conversationId;
  const muted = isMuted(c);

  useEffect(() => {
    menu.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const onPointer = (event: PointerEvent) => {
      if (!menu.current?.parentElement?.contains(event.target as Node)) props.onClose(false);
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, []);

  const act = (change: Parameters<ChatModel['changeSettings']>[1]) => {
    props.onClose(true);
    void model.changeSettings(id, change);
  };
  const unread = c.unread > 0 || c.markedUnread === true;
  const items: { label: string; run: () => void }[] = [
    { label: c.pinned ? 'Unpin chat' : 'Pin chat', run: () => act({ pinned: !c.pinned }) },
    { label: c.archived ? 'Unarchive chat' : 'Archive chat', run: () => act({ archived: !c.archived }) },
    ...(muted
      ? [{ label: 'Unmute', run: () => act({ mutedUntil: null }) }]
      : MUTE_CHOICES.map((choice) => ({
          label: choice.label,
          run: () =>
            act({
              mutedUntil:
                choice.ms === undefined ? MUTED_FOREVER : new Date(Date.now() + choice.ms).toISOString(),
            }),
        }))),
    unread
      ? {
          label: 'Mark as read',
          run: () => {
            props.onClose(true);
            if (c.markedUnread) void model.changeSettings(id, { markedUnread: false });
            void model.markRead(id);
          },
        }
      : {
          label: 'Mark as unread',
          run: () => {
            // An open chat counts as read: it is closed, as the marker is for later.
            if (props.active) props.onSelect(undefined);
            act({ markedUnread: true });
          },
        },
  ];

  const onKeyDown = (event: KeyboardEvent) => {
    const entries = [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const at = entries.indexOf(document.activeElement as HTMLElement);
    const moveTo = (index: number) => entries[(index + entries.length) % entries.length]?.focus();
    if (event.key === 'Escape') {
      event.preventDefault();
      props.onClose(true);
    } else if (event.key === 'ArrowDown') {
      event.preventDefault();
      moveTo(at + 1);
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      moveTo(at - 1);
    } else if (event.key === 'Home') {
      event.preventDefault();
      moveTo(0);
    } else if (event.key === 'End') {
      event.preventDefault();
      moveTo(-1);
    } else if (event.key === 'Tab') {
      props.onClose(false);
    }
  };

  return (
    <div
      class="row-menu"
      role="menu"
      aria-label={`Chat options for ${props.title}`}
      ref={menu}
      onKeyDown={onKeyDown}
    >
      {items.map((item) => (
        <button key={item.label} type="button" role="menuitem" tabIndex={-1} onClick={item.run}>
          {item.label}
        </button>
      ))}
    </div>
  );
}

function PinIcon() {
  return (
    <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false">
      <path
        fill="currentColor"
        d="M16 9V4h1c.55 0 1-.45 1-1s-.45-1-1-1H7c-.55 0-1 .45-1 1s.45 1 1 1h1v5c0 1.66-1.34 3-3 3v2h5.97v7l1 1 1-1v-7H19v-2c-1.66 0-3-1.34-3-3z"
      />
    </svg>
  );
}

function MutedIcon() {
  return (
    <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false">
      <path
        fill="currentColor"
        d="M16.5 12c0-1.77-1.02-3.29-2.5-4.03v2.21l2.45 2.45c.03-.2.05-.41.05-.63zm2.5 0c0 .94-.2 1.82-.54 2.64l1.51 1.51C20.63 14.91 21 13.5 21 12c0-4.28-2.99-7.86-7-8.77v2.06c2.89.86 5 3.54 5 6.71zM4.27 3 3 4.27 7.73 9H3v6h4l5 5v-6.73l4.25 4.25c-.67.52-1.42.93-2.25 1.18v2.06c1.38-.31 2.63-.95 3.69-1.81L19.73 21 21 19.73l-9-9L4.27 3zM12 4 9.91 6.09 12 8.18V4z"
      />
    </svg>
  );
}

function ArchiveIcon() {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
      <path
        fill="currentColor"
        d="M20.54 5.23l-1.39-1.68C18.88 3.21 18.47 3 18 3H6c-.47 0-.88.21-1.16.55L3.46 5.23C3.17 5.57 3 6.02 3 6.5V19c0 1.1.9 2 2 2h14c1.1 0 2-.9 2-2V6.5c0-.48-.17-.93-.46-1.27zM12 17.5 6.5 12H10v-2h4v2h3.5L12 17.5zM5.12 5l.81-1h12l.94 1H5.12z"
      />
    </svg>
  );
}
