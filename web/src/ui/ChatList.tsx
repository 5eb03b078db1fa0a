import { useEffect, useRef, useState } from 'preact/hooks';
import { MUTED_FOREVER } from '../../../shared/protocol/limits';
import { chatListOf, isMuted, matchesSearch } from '../app/chat-list';
import type { ChatModel, ConversationView, ModelState } from '../app/model';
import { Avatar } from './Avatar';
import { formatTime } from './hooks';
import { Icon } from './Icon';
import { Archive, ArrowLeft, BellOff, CircleAlert, Ellipsis, Pin, X } from './icons';

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
          <Icon icon={Archive} size={18} />
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
                <Icon icon={Pin} size={14} />
                <span class="sr-only">, pinned</span>
              </span>
            ) : null}
            {muted ? (
              <span class="row-icon" title="Muted">
                <Icon icon={BellOff} size={14} />
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
