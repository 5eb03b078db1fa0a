import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { AttachmentDescriptor } from '../../../shared/e2ee/attachment-payload';
import { MAX_FILE_SIZE_IN_WORDS } from '../app/attachments';
import {
  type ChatModel,
  type ConversationView,
  type MessageView,
  type ModelState,
  previewOf,
} from '../app/model';
import { timeline, unreadableText } from '../app/unreadable';
import {
  AttachmentView,
  PreparingFile,
  QueuedFile,
  type StagedFile,
  StagedTray,
  stage,
  tooLarge,
  Viewer,
  VoiceRecorder,
} from './Attachments';
import { formatTime, useAction, useModel } from './hooks';
import { GroupPanel } from './People';

const PAGE = 50;
const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'];
/** About the height of the message menu (reactions and up to three actions): below that much room, it opens upwards. */
const MENU_HEIGHT_IN_PIXELS = 160;

/** One conversation: history (paged while scrolling up), composer, typing, receipts and message actions. */
export function ChatView(props: { model: ChatModel; conversation: ConversationView; onBack: () => void }) {
  const { model, conversation } = props;
  const state = useModel(model);
  const { run } = useAction(model);
  const all = state.messages[conversation.conversationId] ?? [];
  const earlier = state.earlier[conversation.conversationId] ?? false;
  const [shown, setShown] = useState(PAGE);
  const [draft, setDraft] = useState('');
  const [replyTo, setReplyTo] = useState<MessageView>();
  const [editing, setEditing] = useState<MessageView>();
  const [showGroup, setShowGroup] = useState(false);
  const [staged, setStaged] = useState<StagedFile[]>([]);
  const [recording, setRecording] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [viewing, setViewing] = useState<AttachmentDescriptor>();
  const picker = useRef<HTMLInputElement>(null);
  const list = useRef<HTMLOListElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const stick = useRef(true);
  const previousHeight = useRef(0);
  const previousTop = useRef(0);
  const loadingEarlier = useRef(false);
  const visible = all.slice(Math.max(0, all.length - shown));
  const me = state.me.userId;
  const others = conversation.memberIds.filter((id) => id !== me);
  const queued = state.outbox.filter(
    (o) => o.conversationId === conversation.conversationId && (!o.kind || o.attachment),
  );
  const preparing = Object.entries(state.preparing).filter(
    ([, p]) => p.conversationId === conversation.conversationId,
  );

  useEffect(() => {
    void model.refresh(conversation.conversationId);
    input.current?.focus();
  }, [conversation.conversationId]);

  useEffect(() => {
    if (document.visibilityState === 'visible') void model.markRead(conversation.conversationId);
    // An edit or a reaction counts as new too: read it on screen.
  }, [all.length, conversation.lastSeq, conversation.conversationId]);

  useEffect(() => {
    // What arrived while the tab was in the background is read when the person comes back to it.
    const onVisible = () => {
      if (document.visibilityState === 'visible') void model.markRead(conversation.conversationId);
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [conversation.conversationId]);

  useLayoutEffect(() => {
    const element = list.current;
    if (!element) return;
    if (stick.current) element.scrollTop = element.scrollHeight;
    // Set, not added to: Chromium's scroll anchoring may have moved it already.
    else if (previousHeight.current)
      element.scrollTop = previousTop.current + element.scrollHeight - previousHeight.current;
    previousHeight.current = 0;
    // A queued file's progress, failure or removal changes its height too.
  }, [visible.length, queued.length, preparing.length, state.outbox]);

  useEffect(
    () => () => {
      for (const file of staged) if (file.preview) URL.revokeObjectURL(file.preview);
    },
    [conversation.conversationId],
  );

  const addFiles = (files: Iterable<File>) => {
    const added = stage(files);
    if (added.length === 0) return;
    setStaged((current) => [...current, ...added]);
    input.current?.focus();
  };

  const unstage = (id: string) =>
    setStaged((current) => {
      const gone = current.find((f) => f.id === id);
      if (gone?.preview) URL.revokeObjectURL(gone.preview);
      return current.filter((f) => f.id !== id);
    });

  /** Notes where the view is, so the layout effect keeps what is on screen in place when a page is added above. */
  const keepPlace = () => {
    previousHeight.current = list.current?.scrollHeight ?? 0;
    previousTop.current = list.current?.scrollTop ?? 0;
    stick.current = false;
  };

  /** One more page above: from memory if there is, else after the model reads the chunk before. */
  const showEarlier = async () => {
    if (shown >= all.length) {
      if (!earlier || loadingEarlier.current) return;
      loadingEarlier.current = true;
      // While fewer than `shown` are loaded, the page read shows as soon as it is there.
      keepPlace();
      try {
        await model.loadEarlier(conversation.conversationId);
      } finally {
        loadingEarlier.current = false;
      }
    }
    keepPlace();
    setShown((n) => n + PAGE);
  };

  const onScroll = () => {
    const element = list.current;
    if (!element) return;
    stick.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
    if (element.scrollTop < 40 && (shown < all.length || earlier)) void run(showEarlier);
  };

  const sendable = staged.filter((f) => !tooLarge(f.file));
  const submit = (event?: Event) => {
    event?.preventDefault();
    const text = draft.trim();
    if (sendable.length > 0) {
      // One file and a draft: the draft is its caption, as in other chat apps.
      const captionFromDraft = sendable.length === 1 && !sendable[0]?.caption.trim() && !editing;
      const reply = replyTo ? { kind: 'reply' as const, refSeq: replyTo.seq } : {};
      for (const [index, file] of sendable.entries()) {
        const caption = captionFromDraft ? text : file.caption.trim();
        // A reply quotes once: the first file carries it.
        void run(() =>
          model.sendFile(conversation.conversationId, file.file, caption, index === 0 ? reply : {}),
        );
      }
      for (const file of staged) if (file.preview) URL.revokeObjectURL(file.preview);
      setStaged([]);
      setReplyTo(undefined);
      stick.current = true;
      if (captionFromDraft || !text) {
        setDraft('');
        model.typing(conversation.conversationId, 'stop');
        return;
      }
    }
    if (!text) return;
    setDraft('');
    model.typing(conversation.conversationId, 'stop');
    stick.current = true;
    if (editing) {
      void run(() => model.send(conversation.conversationId, text, { kind: 'edit', refSeq: editing.seq }));
      setEditing(undefined);
    } else if (replyTo) {
      void run(() => model.send(conversation.conversationId, text, { kind: 'reply', refSeq: replyTo.seq }));
      setReplyTo(undefined);
    } else {
      void run(() => model.send(conversation.conversationId, text));
    }
    input.current?.focus();
  };

  const status = (message: MessageView): string => {
    if (others.length === 0) return 'Sent';
    const marks = others.map((id) => conversation.receipts[id] ?? { delivered: 0, read: 0 });
    if (marks.every((m) => m.read >= message.seq)) return 'Read';
    if (marks.every((m) => m.delivered >= message.seq)) return 'Delivered';
    return 'Sent';
  };

  const typers = Object.entries(state.typing[conversation.conversationId] ?? {})
    .filter(([id, until]) => id !== me && until > Date.now())
    .map(([id]) => model.nameOf(id));
  const title = model.titleOf(conversation);
  const other = conversation.kind === 'direct' ? others[0] : undefined;
  // Offline, what this browser last heard of the other's presence may be stale: it says nothing.
  const presence = other && state.status === 'online' ? state.presence[other] : undefined;

  return (
    <section
      class={`chat ${dragging ? 'dragging' : ''}`}
      aria-label={`Conversation with ${title}`}
      onDragOver={(e) => {
        if (!e.dataTransfer?.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        if (e.dataTransfer?.files.length) addFiles(e.dataTransfer.files);
      }}
    >
      {dragging ? (
        <div class="drop-hint" aria-hidden="true">
          Drop files to send to {title} (up to {MAX_FILE_SIZE_IN_WORDS} each)
        </div>
      ) : null}
      {viewing ? <Viewer state={state} attachment={viewing} onClose={() => setViewing(undefined)} /> : null}
      <header class="chat-header">
        <button type="button" class="back" onClick={props.onBack} aria-label="Back to conversations">
          ←
        </button>
        <div class="chat-title">
          <h2>{title}</h2>
          <span class="small muted">
            {conversation.kind === 'group'
              ? `${conversation.memberIds.length} members`
              : presence?.online
                ? 'Online'
                : presence?.lastSeenAt
                  ? `Last seen ${formatTime(presence.lastSeenAt)}`
                  : ''}
          </span>
        </div>
        {conversation.kind === 'group' ? (
          <button type="button" onClick={() => setShowGroup((v) => !v)} aria-expanded={showGroup}>
            Members
          </button>
        ) : null}
      </header>
      {showGroup ? (
        <GroupPanel model={model} conversation={conversation} onClose={() => setShowGroup(false)} />
      ) : null}
      <ol
        class="messages"
        ref={list}
        onScroll={onScroll}
        aria-live="polite"
        aria-label="Messages"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus so keyboard users can scroll it
        tabIndex={0}
      >
        {shown < all.length || earlier ? (
          <li class="more">
            <button type="button" class="link" onClick={() => void run(showEarlier)}>
              Show earlier messages
            </button>
          </li>
        ) : null}
        {timeline(visible).map((row) =>
          row.kind === 'unreadable' ? (
            <li class="message system" key={row.seq} data-seq={row.seq}>
              <span class="small muted">{unreadableText(row.reason, row.count)}</span>
            </li>
          ) : (
            <Message
              key={row.message.seq}
              model={model}
              state={state}
              onOpen={setViewing}
              conversation={conversation}
              message={row.message}
              replied={row.message.replyTo ? all.find((m) => m.seq === row.message.replyTo) : undefined}
              status={row.message.senderId === me ? status(row.message) : undefined}
              onReply={() => {
                setReplyTo(row.message);
                setEditing(undefined);
                input.current?.focus();
              }}
              onEdit={() => {
                setEditing(row.message);
                setReplyTo(undefined);
                setDraft(row.message.text);
                input.current?.focus();
              }}
            />
          ),
        )}
        {queued.map((item) =>
          item.attachment ? (
            <QueuedFile key={item.messageId} model={model} state={state} item={item} />
          ) : (
            <li key={item.messageId} class="message own pending">
              <div class="bubble">
                <p class="text">{item.text}</p>
                {item.failed ? (
                  <span class="small" role="alert">
                    Not sent: {item.failed}{' '}
                    <button
                      type="button"
                      class="link"
                      onClick={() => void model.removeQueued(item.messageId)}
                    >
                      Remove
                    </button>
                  </span>
                ) : (
                  <span class="small muted">Waiting to send…</span>
                )}
              </div>
            </li>
          ),
        )}
        {preparing.map(([messageId, file]) => (
          <PreparingFile key={messageId} name={file.name} transfer={state.transfers[messageId]} />
        ))}
      </ol>
      <p class="typing small muted" aria-live="polite">
        {typers.length > 0 ? `${typers.join(', ')} ${typers.length === 1 ? 'is' : 'are'} typing…` : ''}
      </p>
      <form class="composer" onSubmit={submit}>
        {replyTo || editing ? (
          <div class="composer-context small">
            <span>
              {editing
                ? 'Editing your message'
                : `Replying to ${model.nameOf(replyTo?.senderId ?? '')}: ${replyTo ? previewOf(replyTo).slice(0, 80) : ''}`}
            </span>
            <button
              type="button"
              class="link"
              onClick={() => {
                setReplyTo(undefined);
                if (editing) setDraft('');
                setEditing(undefined);
              }}
            >
              Cancel
            </button>
          </div>
        ) : null}
        {staged.length > 0 ? (
          <StagedTray
            files={staged}
            onRemove={unstage}
            onCaption={(id, caption) =>
              setStaged((current) => current.map((f) => (f.id === id ? { ...f, caption } : f)))
            }
          />
        ) : null}
        {recording ? (
          <VoiceRecorder
            onCancel={() => setRecording(false)}
            onError={(message) => {
              setRecording(false);
              model.notify(message);
            }}
            onSend={(file, durationMs) => {
              setRecording(false);
              stick.current = true;
              void run(() =>
                model.sendFile(conversation.conversationId, file, '', { voice: true, durationMs }),
              );
            }}
          />
        ) : null}
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          onChange={(e) => {
            if (e.currentTarget.files) addFiles(e.currentTarget.files);
            e.currentTarget.value = '';
          }}
        />
        <button
          type="button"
          class="icon attach"
          aria-label="Attach files"
          title={`Attach files (up to ${MAX_FILE_SIZE_IN_WORDS} each)`}
          disabled={Boolean(editing) || recording}
          onClick={() => picker.current?.click()}
        >
          📎
        </button>
        <label class="sr-only" for="composer-input">
          Message
        </label>
        <textarea
          id="composer-input"
          ref={input}
          rows={1}
          placeholder="Write a message"
          value={draft}
          maxLength={4000}
          onInput={(e) => {
            setDraft(e.currentTarget.value);
            model.typing(conversation.conversationId, e.currentTarget.value ? 'start' : 'stop');
          }}
          onPaste={(e) => {
            // A pasted screenshot or copied file goes to the tray; pasted text stays text.
            const files = [...(e.clipboardData?.files ?? [])];
            if (files.length === 0) return;
            e.preventDefault();
            addFiles(files);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              submit();
            }
            if (e.key === 'Escape') {
              setReplyTo(undefined);
              setEditing(undefined);
            }
          }}
        />
        {!draft.trim() && staged.length === 0 && !editing && !recording ? (
          <button
            type="button"
            class="icon"
            aria-label="Record a voice note"
            onClick={() => setRecording(true)}
          >
            🎤
          </button>
        ) : (
          <button type="submit" class="primary" disabled={!draft.trim() && sendable.length === 0}>
            {editing ? 'Save' : 'Send'}
          </button>
        )}
      </form>
    </section>
  );
}

function Message(props: {
  model: ChatModel;
  state: ModelState;
  onOpen: (attachment: AttachmentDescriptor) => void;
  conversation: ConversationView;
  message: MessageView;
  replied: MessageView | undefined;
  status: string | undefined;
  onReply: () => void;
  onEdit: () => void;
}) {
  const { model, message } = props;
  const own = message.senderId === model.state.me.userId;
  const [menu, setMenu] = useState<false | 'down' | 'up'>(false);
  const actions = useRef<HTMLDivElement>(null);
  const { run } = useAction(model);

  useEffect(() => {
    if (!menu) return;
    // Closed by Esc or a click anywhere else, as menus are.
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setMenu(false);
    };
    const onPointer = (e: PointerEvent) => {
      if (!actions.current?.contains(e.target as Node)) setMenu(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onPointer);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onPointer);
    };
  }, [menu]);

  /** Opens the menu upwards when there is no room for it below, within the list. */
  const toggleMenu = (button: HTMLElement) => {
    if (menu) return setMenu(false);
    const list = button.closest('.messages')?.getBoundingClientRect();
    const below = list ? list.bottom - button.getBoundingClientRect().bottom : Number.POSITIVE_INFINITY;
    setMenu(below < MENU_HEIGHT_IN_PIXELS ? 'up' : 'down');
  };
  const react = (emoji: string) =>
    void run(() =>
      model.send(props.conversation.conversationId, emoji, { kind: 'reaction', refSeq: message.seq }),
    );
  return (
    <li class={`message ${own ? 'own' : ''}`} data-seq={message.seq}>
      <div class="bubble">
        {!own && props.conversation.kind === 'group' ? (
          <span class="sender small">{model.nameOf(message.senderId)}</span>
        ) : null}
        {props.replied ? (
          <blockquote class="quote small">
            {model.nameOf(props.replied.senderId)}:{' '}
            {props.replied.deleted ? 'Message deleted' : previewOf(props.replied).slice(0, 120)}
          </blockquote>
        ) : message.replyTo ? (
          // The quoted message is further back than what is loaded.
          <blockquote class="quote small muted">Reply to an earlier message</blockquote>
        ) : null}
        {!message.deleted
          ? message.attachments?.map((attachment) => (
              <AttachmentView
                key={attachment.id}
                model={model}
                state={props.state}
                conversationId={props.conversation.conversationId}
                attachment={attachment}
                onOpen={props.onOpen}
              />
            ))
          : null}
        {message.deleted ? (
          <p class="text muted">Message deleted</p>
        ) : message.text ? (
          <p class="text">{message.text}</p>
        ) : null}
        <span class="meta small muted">
          {formatTime(message.sentAt)}
          {message.edited ? ' · edited' : ''}
          {props.status ? <span class="status"> · {props.status}</span> : null}
        </span>
        {Object.keys(message.reactions).length > 0 ? (
          <span class="reactions">
            {Object.entries(message.reactions).map(([emoji, users]) => (
              <button
                type="button"
                key={emoji}
                class="reaction"
                onClick={() => react(emoji)}
                aria-label={`${emoji} ${users.length}, from ${users.map((u) => model.nameOf(u)).join(', ')}`}
              >
                {emoji} {users.length}
              </button>
            ))}
          </span>
        ) : null}
      </div>
      {!message.deleted ? (
        <div class={`message-actions ${menu ? 'open' : ''}`} ref={actions}>
          <button
            type="button"
            class="icon"
            aria-label="Message actions"
            aria-expanded={Boolean(menu)}
            onClick={(e) => toggleMenu(e.currentTarget)}
          >
            ⋯
          </button>
          {menu ? (
            <div class={`menu ${menu}`}>
              {REACTIONS.map((emoji) => (
                <button
                  type="button"
                  key={emoji}
                  aria-label={`React ${emoji}`}
                  onClick={() => {
                    react(emoji);
                    setMenu(false);
                  }}
                >
                  {emoji}
                </button>
              ))}
              <button
                type="button"
                onClick={() => {
                  props.onReply();
                  setMenu(false);
                }}
              >
                Reply
              </button>
              {own ? (
                <>
                  <button
                    type="button"
                    onClick={() => {
                      props.onEdit();
                      setMenu(false);
                    }}
                  >
                    Edit
                  </button>
                  <button
                    type="button"
                    onClick={() => {
                      setMenu(false);
                      if (confirm('Delete this message for everyone?'))
                        void run(() => model.deleteMessage(props.conversation.conversationId, message.seq));
                    }}
                  >
                    Delete
                  </button>
                </>
              ) : null}
            </div>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}
