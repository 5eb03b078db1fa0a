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
import { measureText } from '../app/text-limit';
import { clockTime, fullDateTime, timeline, unreadableText } from '../app/timeline';
import {
  AttachmentView,
  PreparingFile,
  type StagedFile,
  StagedTray,
  stage,
  tooLarge,
  Viewer,
  VoiceRecorder,
} from './Attachments';
import { Avatar, hueOf } from './Avatar';
import { useConfirm } from './ConfirmDialog';
import { EmojiPicker } from './EmojiPicker';
import { GroupEventLine } from './GroupLife';
import { formatTime, useAction, useModel } from './hooks';
import { Icon } from './Icon';
import { ArrowLeft, Ellipsis, Mic, Paperclip, SendHorizontal, Users } from './icons';
import { QueuedMessage } from './Outbox';
import { GroupPanel } from './People';
import { reachOf, Ticks } from './Receipts';
import { RichText } from './RichText';
import { type RevealTarget, useReveal } from './reveal';
import { TextCounter } from './TextCounter';
import {
  ContactInfoButton,
  SafetyNumberChanged,
  useVerification,
  VerifiedMark,
  VerifyDialog,
} from './Verify';

const PAGE = 50;
const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'];
/** About the height of the message menu (reactions and up to three actions): below that much room, it opens upwards. */
const MENU_HEIGHT_IN_PIXELS = 160;
/** A message counts as seen once this much of it shows above the list's bottom edge. */
const SEEN_MARGIN_IN_PIXELS = 16;
/** What takes keyboard focus inside a message. */
const FOCUSABLE = 'a[href], button, input, select, textarea, audio[controls], video[controls], [tabindex]';

/** One conversation: history (paged while scrolling up), composer, typing, receipts and message actions. */
export function ChatView(props: {
  model: ChatModel;
  conversation: ConversationView;
  onBack: () => void;
  /** A message to bring into view (a search result). */
  reveal?: RevealTarget;
}) {
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
  /** The message keyboard focus is in, if any. */
  const [active, setActive] = useState<number>();
  const picker = useRef<HTMLInputElement>(null);
  const list = useRef<HTMLOListElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const stick = useRef(true);
  /** The first layout of this chat. */
  const opening = useRef(true);
  const previousHeight = useRef(0);
  const previousTop = useRef(0);
  const loadingEarlier = useRef(false);
  const visible = all.slice(Math.max(0, all.length - shown));
  /** Where the unread messages began when the chat was opened: the line stays there while it is open. */
  const [unread] = useState(() => {
    const mark = Math.max(conversation.read, conversation.receipts[state.me.userId]?.read ?? 0);
    const first = all.find((m) => m.seq > mark && m.senderId !== state.me.userId && !m.event);
    return conversation.unread > 0 && first ? { from: first.seq, count: conversation.unread } : undefined;
  });
  const entries = timeline(visible, {
    now: new Date(),
    unreadFrom: unread?.from,
    unreadCount: unread?.count,
  });
  const unreadLine = useRef<HTMLLIElement>(null);
  /** Scrolled up from the newest message: the jump button shows, and what arrives is not read yet. */
  const [away, setAway] = useState(false);
  const me = state.me.userId;
  // A direct chat whose other person deleted their account: it stays to read, closed to new messages.
  const peerDeleted = conversation.kind === 'direct' && !conversation.memberIds.some((id) => id !== me);
  const others = conversation.memberIds.filter((id) => id !== me);
  const verification = useVerification(model, conversation.kind === 'direct' ? others[0] : undefined);
  // Every message on its way shows where it will appear; a reaction shows on its message once sent.
  const queued = state.outbox.filter(
    (o) => o.conversationId === conversation.conversationId && o.kind !== 'reaction',
  );
  const preparing = Object.entries(state.preparing).filter(
    ([, p]) => p.conversationId === conversation.conversationId,
  );

  useEffect(() => {
    void model.refresh(conversation.conversationId);
    input.current?.focus();
  }, [conversation.conversationId]);

  /**
   * Read is what the person sees: with the tab in front, every message down to the lowest one on screen (at
   * the newest, everything, edits and reactions included). Scrolled up, what is below stays unread.
   */
  const readWhatIsSeen = () => {
    const element = list.current;
    if (document.visibilityState !== 'visible' || !element) return;
    if (stick.current) return void model.markRead(conversation.conversationId);
    const bottom = element.getBoundingClientRect().bottom - SEEN_MARGIN_IN_PIXELS;
    let seen = 0;
    for (const item of element.querySelectorAll<HTMLElement>('li.message[data-seq]')) {
      if (item.getBoundingClientRect().top >= bottom) break;
      seen = Number(item.dataset.seq);
    }
    if (seen > 0) void model.markRead(conversation.conversationId, seen);
  };

  useEffect(() => {
    readWhatIsSeen();
    // An edit or a reaction counts as new too: read it on screen.
  }, [all.length, conversation.lastSeq, conversation.conversationId]);

  useEffect(() => {
    // What arrived while the tab was in the background is read when the person comes back to it.
    const onVisible = () => readWhatIsSeen();
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [conversation.conversationId]);

  useLayoutEffect(() => {
    const element = list.current;
    if (!element) return;
    if (opening.current && unreadLine.current && element.scrollHeight > element.clientHeight) {
      // Opened with unread messages: at the first of them, under its line, as chat apps open.
      element.scrollTop = unreadLine.current.offsetTop - element.offsetTop - 8;
      stick.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
      setAway(!stick.current);
    } else if (stick.current) element.scrollTop = element.scrollHeight;
    // Set, not added to: Chromium's scroll anchoring may have moved it already.
    else if (previousHeight.current)
      element.scrollTop = previousTop.current + element.scrollHeight - previousHeight.current;
    opening.current = false;
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

  useReveal({
    model,
    conversationId: conversation.conversationId,
    target: props.reveal,
    list,
    show: (count) => setShown((n) => Math.max(n, count)),
    hold: () => {
      stick.current = false;
      previousHeight.current = 0;
      setAway(true);
    },
  });

  /**
   * The list is one stop for Tab: the arrows (and Home, End) go from message to message, and only the
   * message being visited has its actions, ticks and files in the Tab order. Enter opens its menu.
   */
  const onListKey = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement;
    const here = target === list.current || target.matches('li.message[data-seq]');
    if (!here || !list.current) return;
    const items = [...list.current.querySelectorAll<HTMLElement>('li.message[data-seq]')];
    const at = items.indexOf(target);
    const to = {
      ArrowUp: at === -1 ? items.length - 1 : Math.max(0, at - 1),
      ArrowDown: at === -1 ? 0 : Math.min(items.length - 1, at + 1),
      Home: 0,
      End: items.length - 1,
    }[e.key];
    if (to !== undefined) {
      e.preventDefault();
      items[to]?.focus();
    } else if (
      at !== -1 &&
      (e.key === 'Enter' || e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey))
    ) {
      e.preventDefault();
      target.querySelector<HTMLButtonElement>('.message-actions > button')?.click();
      requestAnimationFrame(() => target.querySelector<HTMLButtonElement>('.menu button')?.focus());
    }
  };

  // Every message's controls leave the Tab order but those of the message being visited.
  useLayoutEffect(() => {
    for (const item of list.current?.querySelectorAll<HTMLElement>('li.message[data-seq]') ?? []) {
      const visited = Number(item.dataset.seq) === active;
      for (const control of item.querySelectorAll<HTMLElement>(FOCUSABLE))
        control.tabIndex = visited ? 0 : -1;
    }
  });

  const onScroll = () => {
    const element = list.current;
    if (!element) return;
    stick.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
    setAway(!stick.current);
    // Scrolled down: what came into view has been seen.
    readWhatIsSeen();
    if (element.scrollTop < 40 && (shown < all.length || earlier)) void run(showEarlier);
  };

  const jumpToLatest = () => {
    const element = list.current;
    if (!element) return;
    element.scrollTop = element.scrollHeight;
    stick.current = true;
    setAway(false);
    void model.markRead(conversation.conversationId);
    element.focus();
  };

  /** Puts text where the caret is in the message box (replacing a selection), the caret after it. */
  const insertAtCaret = (text: string) => {
    const element = input.current;
    const start = element?.selectionStart ?? draft.length;
    const end = element?.selectionEnd ?? draft.length;
    setDraft((current) => current.slice(0, start) + text + current.slice(end));
    model.typing(conversation.conversationId, 'start');
    requestAnimationFrame(() => element?.setSelectionRange(start + text.length, start + text.length));
  };

  const sendable = staged.filter((f) => !tooLarge(f.file));
  // What goes is the trimmed text: the counter counts that, so what it lets through is sent whole.
  const measure = measureText(draft.trim());
  const tooLong = measure.over || sendable.some((f) => measureText(f.caption.trim()).over);

  useLayoutEffect(() => {
    // Grows with its text, line by line, up to the height the style sheet allows; then it scrolls.
    const element = input.current;
    if (!element) return;
    element.style.height = 'auto';
    element.style.height = `${element.scrollHeight + element.offsetHeight - element.clientHeight}px`;
  }, [draft]);

  const submit = (event?: Event) => {
    event?.preventDefault();
    // Too long: nothing is cut and nothing goes; the counter says why.
    if (tooLong) return;
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
        <button type="button" class="back icon" onClick={props.onBack} aria-label="Back to conversations">
          <Icon icon={ArrowLeft} />
        </button>
        <Avatar name={title} id={other ?? conversation.conversationId} />
        <div class="chat-title">
          <h2>
            {title}
            {verification.record?.state === 'verified' ? <VerifiedMark /> : null}
          </h2>
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
          <button
            type="button"
            class="icon"
            onClick={() => setShowGroup((v) => !v)}
            aria-expanded={showGroup}
            aria-label="Members"
            title="Members"
          >
            <Icon icon={Users} />
          </button>
        ) : null}
        {other !== undefined ? <ContactInfoButton name={title} onClick={verification.show} /> : null}
      </header>
      {other !== undefined && verification.record?.state === 'changed' ? (
        <SafetyNumberChanged name={title} onVerify={verification.show} onDismiss={verification.dismiss} />
      ) : null}
      {other !== undefined && verification.open ? (
        <VerifyDialog
          model={model}
          contactId={other}
          name={title}
          onClose={verification.hide}
          onChange={verification.changed}
        />
      ) : null}
      {showGroup ? (
        <GroupPanel model={model} conversation={conversation} onClose={() => setShowGroup(false)} />
      ) : null}
      <div class="timeline">
        <ol
          class="messages"
          ref={list}
          onScroll={onScroll}
          onKeyDown={onListKey}
          onFocusIn={(e) => {
            const item = (e.target as Element).closest<HTMLElement>('li.message[data-seq]');
            if (item) setActive(Number(item.dataset.seq));
          }}
          onFocusOut={(e) => {
            if (!list.current?.contains(e.relatedTarget as Node | null)) setActive(undefined);
          }}
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
          {entries.map((entry) =>
            entry.kind === 'event' ? (
              <GroupEventLine key={entry.key} model={model} entry={entry} />
            ) : entry.kind === 'unreadable' ? (
              <li class="message system" key={entry.key} data-seq={entry.seq}>
                <span class="small muted">{unreadableText(entry.reason, entry.count)}</span>
              </li>
            ) : entry.kind === 'day' ? (
              <li key={entry.key} class="day">
                <span>{entry.label}</span>
              </li>
            ) : entry.kind === 'unread' ? (
              <li key={entry.key} class="unread-line" ref={unreadLine}>
                <span>
                  {entry.count} unread {entry.count === 1 ? 'message' : 'messages'}
                </span>
              </li>
            ) : (
              <Message
                key={entry.key}
                model={model}
                state={state}
                onOpen={setViewing}
                conversation={conversation}
                message={entry.message}
                first={entry.first}
                last={entry.last}
                replied={entry.message.replyTo ? all.find((m) => m.seq === entry.message.replyTo) : undefined}
                reach={
                  entry.message.senderId === me ? reachOf(conversation, others, entry.message.seq) : undefined
                }
                onReply={() => {
                  setReplyTo(entry.message);
                  setEditing(undefined);
                  input.current?.focus();
                }}
                onEdit={() => {
                  setEditing(entry.message);
                  setReplyTo(undefined);
                  setDraft(entry.message.text);
                  input.current?.focus();
                }}
              />
            ),
          )}
          {queued.map((item) => (
            <QueuedMessage
              key={item.messageId}
              model={model}
              state={state}
              item={item}
              onEdit={(failed) => {
                // Back in the composer, after whatever is being written there: no text is lost.
                setDraft((current) => (current.trim() ? `${current}\n${failed.text}` : failed.text));
                void model.removeQueued(failed.messageId);
                input.current?.focus();
              }}
            />
          ))}
          {preparing.map(([messageId, file]) => (
            <PreparingFile key={messageId} name={file.name} transfer={state.transfers[messageId]} />
          ))}
        </ol>
        {away ? (
          <button
            type="button"
            class="jump"
            onClick={jumpToLatest}
            aria-label={
              conversation.unread > 0
                ? `Jump to the latest message, ${conversation.unread} new`
                : 'Jump to the latest message'
            }
          >
            <span aria-hidden="true">↓</span>
            {conversation.unread > 0 ? <span class="badge">{conversation.unread}</span> : null}
          </button>
        ) : null}
      </div>
      <p class="typing small muted" aria-live="polite">
        {typers.length > 0 ? `${typers.join(', ')} ${typers.length === 1 ? 'is' : 'are'} typing…` : ''}
      </p>
      {peerDeleted ? (
        <p class="composer closed-note small" role="status">
          This account was deleted. You can still read your chat, but no longer write to it.
        </p>
      ) : (
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
            <Icon icon={Paperclip} />
          </button>
          <EmojiPicker disabled={recording} onPick={insertAtCaret} onClose={() => input.current?.focus()} />
          <label class="sr-only" for="composer-input">
            Message
          </label>
          <textarea
            id="composer-input"
            ref={input}
            rows={1}
            placeholder="Write a message"
            value={draft}
            aria-describedby={measure.shown ? 'composer-count' : undefined}
            aria-invalid={measure.over}
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
              // Enter sends and Shift+Enter starts a new line, as in WhatsApp Web; Enter that picks an input
              // method's candidate (Chinese, Japanese) belongs to the input method.
              if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
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
              title="Record a voice note"
              onClick={() => setRecording(true)}
            >
              <Icon icon={Mic} />
            </button>
          ) : (
            <button
              type="submit"
              class="primary send"
              disabled={tooLong || (!draft.trim() && sendable.length === 0)}
              aria-describedby={measure.shown ? 'composer-count' : undefined}
              aria-label={editing ? 'Save' : 'Send'}
              title={editing ? 'Save the change (Enter)' : 'Send (Enter)'}
            >
              <Icon icon={SendHorizontal} />
            </button>
          )}
          <TextCounter id="composer-count" measure={measure} />
        </form>
      )}
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
  reach: ReturnType<typeof reachOf> | undefined;
  /** The first and last of a run of one sender's messages. */
  first: boolean;
  last: boolean;
  onReply: () => void;
  onEdit: () => void;
}) {
  const { model, message } = props;
  const own = message.senderId === model.state.me.userId;
  const [menu, setMenu] = useState<false | 'down' | 'up'>(false);
  const [question, ask] = useConfirm();
  const actions = useRef<HTMLDivElement>(null);
  const { run } = useAction(model);

  /** Closes the menu; focus that was in it goes back to its button, never to the page. */
  const close = () => {
    const toggle = actions.current?.querySelector<HTMLButtonElement>(':scope > button');
    if (actions.current?.contains(document.activeElement)) toggle?.focus();
    setMenu(false);
  };

  useEffect(() => {
    if (!menu) return;
    // Closed by Esc or a click anywhere else, as menus are.
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') close();
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
    <li
      class={`message ${own ? 'own' : ''} ${props.first ? 'run-first' : ''} ${props.last ? 'run-last' : ''}`}
      data-seq={message.seq}
      tabIndex={-1}
    >
      {!own && props.conversation.kind === 'group' ? (
        props.first ? (
          <Avatar name={model.nameOf(message.senderId)} id={message.senderId} />
        ) : (
          <span class="avatar-gap" aria-hidden="true" />
        )
      ) : null}
      <div class="bubble">
        {!own && props.conversation.kind === 'group' && props.first ? (
          <span class={`sender small hue-${hueOf(message.senderId)}`}>{model.nameOf(message.senderId)}</span>
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
          <RichText text={message.text} />
        ) : null}
        <div class="meta small muted">
          <time dateTime={message.sentAt} title={fullDateTime(message.sentAt)}>
            {clockTime(message.sentAt)}
          </time>
          {message.edited ? ' · edited' : ''}
          {props.reach ? (
            <Ticks model={model} reach={props.reach} group={props.conversation.kind === 'group'} />
          ) : null}
        </div>
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
            <Icon icon={Ellipsis} size={18} />
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
                    close();
                  }}
                >
                  {emoji}
                </button>
              ))}
              <button
                type="button"
                onClick={() => {
                  props.onReply();
                  close();
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
                      close();
                    }}
                  >
                    Edit
                  </button>
                  <button
                    type="button"
                    onClick={() => {
                      close();
                      ask({
                        title: 'Delete this message for everyone?',
                        body: <p>It goes from every member’s chat; a line says a message was deleted.</p>,
                        confirm: 'Delete for everyone',
                        onConfirm: () =>
                          void run(() => model.deleteMessage(props.conversation.conversationId, message.seq)),
                      });
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
      {question}
    </li>
  );
}
