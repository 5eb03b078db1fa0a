import {
  MAX_MESSAGE_TEXT_LENGTH,
  type MessagePayload,
  parseMessagePayload,
} from '../../../shared/e2ee/attachment-payload';
import type { ChatEvent } from '../../../shared/e2ee/e2ee-client';
import type { ArchivePart } from '../../../shared/e2ee/history/archive';
import type { BackupSource } from '../../../shared/e2ee/history/backup';
import type { StateStore } from '../../../shared/e2ee/state-store';
import type { DeletedFrame } from '../../../shared/protocol/outbound';
import { groupEventView } from './group-events';
import { ConversationHistory, type HistoryChange, type MessageView } from './history';
import { type SearchResults, searchMessages } from './message-search';
import { SearchIndex } from './search-index';
import type { ModelStore } from './store';

const markDeleted = (m: MessageView) => {
  m.deleted = true;
  m.text = '';
};

/**
 * The history changes a batch of the E2EE client's events makes, by conversation, in the order read.
 * A plaintext that breaks the payload schema (a hostile or newer sender) shows as its text, cut to the
 * longest a message may be, never half read: none of its fields (a file, a reaction) is taken from it.
 *
 * @example
 * for (const [conversationId, changes] of historyChangesOf(events)) await history.write(changes);
 */
export function historyChangesOf(events: readonly ChatEvent[]): Map<string, HistoryChange[]> {
  const changes = new Map<string, HistoryChange[]>();
  const push = (conversationId: string, change: HistoryChange) => {
    const list = changes.get(conversationId);
    if (list) list.push(change);
    else changes.set(conversationId, [change]);
  };
  for (const event of events) {
    switch (event.kind) {
      case 'message': {
        const payload: MessagePayload = parseMessagePayload(event.plaintext) ?? {
          // Cut by code point, so no emoji is split into a lone surrogate.
          text: Array.from(new TextDecoder().decode(event.plaintext))
            .slice(0, MAX_MESSAGE_TEXT_LENGTH)
            .join(''),
        };
        if (event.messageKind === 'edit' && event.refSeq !== undefined) {
          push(event.conversationId, {
            kind: 'change',
            seq: event.refSeq,
            change: (m) => {
              if (m.senderId !== event.senderId) return;
              m.text = payload.text ?? m.text;
              m.edited = true;
            },
          });
        } else if (event.messageKind === 'reaction' && event.refSeq !== undefined) {
          push(event.conversationId, {
            kind: 'change',
            seq: event.refSeq,
            change: (m) => {
              const emoji = payload.emoji ?? '👍';
              const users = new Set(m.reactions[emoji] ?? []);
              if (users.has(event.senderId)) users.delete(event.senderId);
              else users.add(event.senderId);
              m.reactions[emoji] = [...users];
              if (users.size === 0) delete m.reactions[emoji];
            },
          });
        } else {
          push(event.conversationId, {
            kind: 'add',
            message: {
              seq: event.seq,
              messageId: event.messageId,
              senderId: event.senderId,
              sentAt: event.sentAt,
              text: payload.text ?? '',
              ...(payload.attachments ? { attachments: [...payload.attachments] } : {}),
              reactions: {},
              ...(event.messageKind === 'reply' && event.refSeq !== undefined
                ? { replyTo: event.refSeq }
                : {}),
            },
          });
        }
        break;
      }
      case 'undecryptable':
        push(event.conversationId, {
          kind: 'add',
          message: {
            seq: event.seq,
            messageId: event.messageId,
            senderId: event.senderId,
            sentAt: '',
            text: '',
            reactions: {},
            undecryptable: event.reason,
          },
        });
        break;
      case 'deleted':
        push(event.conversationId, { kind: 'change', seq: event.seq, change: markDeleted });
        break;
      case 'group-event':
        push(event.conversationId, { kind: 'add', message: groupEventView(event) });
        break;
      default:
        break;
    }
  }
  return changes;
}

/** What the conversation list says of a message: its text, or what it carries when it has no caption. */
export function previewOf(message: Pick<MessageView, 'text' | 'attachments'>): string {
  const [first] = message.attachments ?? [];
  if (message.text || !first) return message.text;
  switch (first.kind) {
    case 'image':
      return '📷 Photo';
    case 'video':
      return '🎬 Video';
    case 'voice':
      return '🎤 Voice note';
    case 'audio':
      return `🎵 ${first.name}`;
    default:
      return `📎 ${first.name}`;
  }
}

/**
 * Writes what this browser reads into each conversation's encrypted history, and the search index beside
 * it, and shows the newest part of each in the store (with the list's preview). Nothing else writes a
 * history: a push, a catch-up and a deletion all come through here.
 */
export class HistoryWriter {
  /** Conversation → its history in the store, opened once (reads and writes queue there, in call order). */
  private readonly histories = new Map<string, Promise<ConversationHistory>>();
  /** The words of every kept message, for search: in the same encrypted store as the history. */
  private readonly searchIndex: SearchIndex;
  /** Told of every message this browser changed in place (an edit, a reaction, a deletion): the backup's next run carries it. */
  onChanged: ((conversationId: string, seqs: readonly number[]) => void) | undefined;

  constructor(
    private readonly store: ModelStore,
    private readonly vault: StateStore,
  ) {
    this.searchIndex = new SearchIndex(vault);
  }

  /** Whether this conversation's history was read into the store already. */
  has(conversationId: string): boolean {
    return this.histories.has(conversationId);
  }

  private historyOf(conversationId: string): Promise<ConversationHistory> {
    let history = this.histories.get(conversationId);
    if (history === undefined) {
      history = ConversationHistory.open(this.vault, conversationId);
      this.histories.set(conversationId, history);
    }
    return history;
  }

  /** Reads a conversation's newest messages from the store into the state; the caller tells the screens. */
  async show(conversationId: string): Promise<void> {
    this.showKept(await this.historyOf(conversationId));
  }

  private showKept(history: ConversationHistory): void {
    const { state } = this.store;
    state.messages[history.conversationId] = history.messages;
    state.earlier[history.conversationId] = history.hasEarlier;
    this.refreshPreview(history.conversationId);
  }

  private refreshPreview(conversationId: string): void {
    const conversation = this.store.find(conversationId);
    const last = this.store.state.messages[conversationId]?.findLast((m) => !m.undecryptable && !m.event);
    if (conversation && last) conversation.preview = last.deleted ? 'Message deleted' : previewOf(last);
  }

  /** Applies changes to a conversation's history and keeps them; the caller tells the screens. */
  private async record(
    conversationId: string,
    changes: readonly HistoryChange[],
    from: 'here' | 'elsewhere' = 'here',
  ): Promise<void> {
    const history = await this.historyOf(conversationId);
    const written = await history.write(changes);
    this.showKept(history);
    if (from === 'here') {
      const changed = written.flatMap((w) => (w.before === undefined ? [] : [w.after.seq]));
      if (changed.length > 0) this.onChanged?.(conversationId, changed);
    }
    // Kept beside the history, before the device moves past these events; the history is the truth, so a
    // failure here costs only a missing search result.
    await this.searchIndex
      .update(conversationId, written)
      .catch((error: unknown) =>
        console.warn('Indexing messages for search failed', { conversationId, error }),
      );
  }

  /**
   * Keeps what the E2EE client read, in order; a failure is told to the person, since the device moves
   * past these events all the same. The caller tells the screens.
   */
  async write(events: readonly ChatEvent[]): Promise<void> {
    // Each write waits on the same opening of its history, then queues there: a batch that follows this one,
    // even while this one is still being written, is written after it.
    const written = await Promise.allSettled(
      [...historyChangesOf(events)].map(([conversationId, list]) => this.record(conversationId, list)),
    );
    const failed = written.find((result) => result.status === 'rejected');
    if (failed) {
      console.error('Keeping the history failed', { error: failed.reason });
      this.store.notify(
        'This browser could not keep the latest messages: they may be missing after a reload.',
      );
    }
  }

  /**
   * Another device's history of this user (a transfer or a backup), kept beside what this browser read
   * itself: its messages fill the lines this browser could not read and the time before it joined.
   */
  async restore(parts: readonly ArchivePart[]): Promise<void> {
    const changes = new Map<string, HistoryChange[]>();
    for (const part of parts) {
      const list = changes.get(part.conversationId) ?? [];
      list.push(...part.messages.map((message) => ({ kind: 'restore' as const, message })));
      list.push({
        kind: 'forget-unreadable',
        from: part.from,
        to: part.to,
        keep: new Set(part.messages.map((m) => m.seq)),
      });
      changes.set(part.conversationId, list);
    }
    await Promise.all(
      [...changes].map(([conversationId, list]) => this.record(conversationId, list, 'elsewhere')),
    );
    this.store.changed();
  }

  /** This browser's history as an archive reads it: conversations as the list orders them, pages newest first. */
  source(): BackupSource {
    return {
      conversationIds: async () => this.store.state.conversations.map((c) => c.conversationId),
      page: async (conversationId, before, limit) =>
        (await this.historyOf(conversationId)).page(before, limit),
      find: async (conversationId, seqs) => (await this.historyOf(conversationId)).find(seqs),
    };
  }

  /** A `deleted` push: the message shows as deleted, here and after a reload. */
  async deleted(frame: DeletedFrame): Promise<void> {
    await this.record(frame.conversationId, [{ kind: 'change', seq: frame.seq, change: markDeleted }]);
    this.store.changed();
  }

  /**
   * Reads the page before the loaded messages of a conversation from this browser's store into
   * `state.messages`; resolves to whether older ones remain.
   */
  async loadEarlier(conversationId: string): Promise<boolean> {
    const history = await this.historyOf(conversationId);
    const more = await history.loadEarlier();
    this.showKept(history);
    this.store.changed();
    return more;
  }

  /** Reads earlier pages of a conversation until the message `seq` is loaded; resolves to whether it is kept. */
  async loadUntil(conversationId: string, seq: number): Promise<boolean> {
    const history = await this.historyOf(conversationId);
    while ((history.messages[0]?.seq ?? 0) > seq && (await history.loadEarlier()));
    this.showKept(history);
    this.store.changed();
    return history.messages.some((m) => m.seq === seq);
  }

  /** Every message this browser keeps of a conversation, oldest first, read a chunk at a time (for the export). */
  async readAll(conversationId: string): Promise<MessageView[]> {
    const history = await this.historyOf(conversationId);
    const all: MessageView[] = [];
    for (let after: number | undefined = 0; after !== undefined; ) {
      const { messages, next } = await history.scan(after);
      all.push(...messages);
      after = next;
    }
    return all;
  }

  /**
   * Searches the messages this browser keeps, in every conversation, newest first, at most `limit` (whether
   * there are more says `more`). Offline too: nothing leaves the browser. A history kept before the index
   * existed is indexed on the first search.
   */
  search(query: string, limit: number): Promise<SearchResults> {
    const conversationIds = this.store.state.conversations.map((c) => c.conversationId);
    return searchMessages(this.searchIndex, (id) => this.historyOf(id), conversationIds, query, limit);
  }
}
