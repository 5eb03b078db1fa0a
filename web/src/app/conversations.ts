import { type ApiClient, ApiError, allPages } from '../../../shared/client/api-client';
import { ErrorCode } from '../../../shared/protocol/errors';
import { MAX_PINNED_CONVERSATIONS } from '../../../shared/protocol/limits';
import type { ConversationPush, MessageFrame, SettingsPush } from '../../../shared/protocol/outbound';
import type { ConversationSummary, MemberRole } from '../../../shared/protocol/resources';
import { applySettings, UNSET_SETTINGS } from './chat-list';
import { describeError } from './describe-error';
import type { HistoryWriter } from './history-writer';
import type { ReceiptSender } from './receipt-sender';
import { raiseMarks } from './receipts';
import type { ConversationView, ModelStore } from './store';

/** Every conversation of mine, page by page. */
export function listAllConversations(api: ApiClient): Promise<ConversationSummary[]> {
  return allPages((cursor) =>
    api.listConversations({ query: { limit: 100, ...(cursor ? { cursor } : {}) } }),
  );
}

/**
 * The conversation list: what the server says of each conversation (members, name, settings, last `seq`,
 * unread count) merged with what this browser knows better (its own read mark, the decrypted preview), and
 * the actions on conversations and their membership.
 */
export class Conversations {
  /** Conversation → the notice that told me I was removed from it, while it may still be showing. */
  private readonly removals = new Map<string, string>();

  constructor(
    private readonly store: ModelStore,
    private readonly api: ApiClient,
    private readonly history: HistoryWriter,
    private readonly receipts: ReceiptSender,
  ) {}

  /** Takes the list read at start-up; the caller shows each history and tells the screens. */
  load(conversations: ConversationSummary[]): void {
    this.store.state.conversations = conversations.map((c) => ({ ...c, receipts: {} }));
    for (const c of conversations) this.receipts.heardMine(c);
  }

  /**
   * Takes the list read again on a (re)connection: settings unset elsewhere meanwhile go, my read mark stays
   * where this browser put it, a conversation new to this browser shows its history, and a notice that I
   * was removed from a conversation I am back in goes. Resolves once the screens were told.
   */
  async caughtUp(fresh: ConversationSummary[]): Promise<void> {
    const known = new Map(this.store.state.conversations.map((c) => [c.conversationId, c]));
    this.store.state.conversations = fresh.map((c) => ({
      ...known.get(c.conversationId),
      // Settings the server no longer names were unset on another device meanwhile.
      ...UNSET_SETTINGS,
      ...c,
      receipts: known.get(c.conversationId)?.receipts ?? {},
    }));
    for (const c of fresh) {
      this.receipts.heardMine(c);
      const view = this.store.find(c.conversationId);
      const mine = view?.receipts[this.store.myId]?.read ?? 0;
      if (view && mine > c.read) view.unread = this.store.unreadAfter(c.conversationId, mine, c.lastSeq);
    }
    await Promise.all(
      fresh
        .filter((c) => !this.history.has(c.conversationId))
        .map((c) => this.history.show(c.conversationId)),
    );
    for (const c of fresh) this.memberAgain(c.conversationId);
    this.store.sortConversations();
    this.store.changed();
    // Beside the catching up, not before it: a name can come a moment after the messages.
    void this.learnMembers();
  }

  /** Reloads a conversation's details (members, name, receipts) into the list. */
  async refresh(conversationId: string): Promise<void> {
    try {
      const detail = await this.api.getConversation({ params: { conversationId } });
      const { state } = this.store;
      for (const m of detail.members) state.users[m.user.userId] = m.user;
      const existing = this.store.find(conversationId);
      const view: ConversationView = {
        ...(existing ?? { unread: 0, receipts: {} }),
        ...detail,
        memberIds: detail.members.map((m) => m.user.userId),
        // A push applied meanwhile may be ahead of this read.
        receipts: Object.fromEntries(
          detail.members.map((m) => [m.user.userId, raiseMarks(existing?.receipts[m.user.userId], m)]),
        ),
      } as ConversationView;
      // The server's unread count is behind when this browser's read mark has not reached it yet.
      const mine = view.receipts[this.store.myId]?.read ?? 0;
      if (mine > detail.read) view.unread = this.store.unreadAfter(conversationId, mine, view.lastSeq);
      state.conversations = [view, ...state.conversations.filter((c) => c.conversationId !== conversationId)];
      if (!this.history.has(conversationId)) await this.history.show(conversationId);
      this.memberAgain(conversationId);
      this.store.sortConversations();
      this.store.changed();
    } catch (error) {
      this.store.notify(describeError(error));
    }
  }

  /**
   * A `conversation` push: a conversation I am in changed (read again), or I am no longer in it (it goes
   * from the list, with a notice of who removed me unless I left).
   */
  async heard(frame: ConversationPush): Promise<void> {
    const me = this.store.myId;
    if (frame.memberIds.includes(me)) {
      await this.refresh(frame.conversationId);
      return;
    }
    const title = frame.name ?? 'the group';
    if (this.store.find(frame.conversationId) && frame.actorId !== me) {
      const notice = `${this.store.nameOf(frame.actorId)} removed you from ${title}.`;
      this.removals.set(frame.conversationId, notice);
      this.store.notify(notice);
    }
    this.drop(frame.conversationId);
  }

  /** A `message` push: the conversation moves up, and counts one more unread when it is someone else's. */
  heardMessage(frame: MessageFrame): void {
    const conversation = this.store.find(frame.conversationId);
    // A commit and a logged group event are lines of the log, not messages: nothing unread.
    if (!conversation || frame.kind === 'commit' || frame.kind === 'event') return;
    conversation.lastSeq = Math.max(conversation.lastSeq, frame.seq);
    conversation.lastActivityAt = frame.sentAt;
    // Already read when the screen showed it before this push was counted: not unread.
    const read = conversation.receipts[this.store.myId]?.read ?? 0;
    if (frame.senderId !== this.store.myId && frame.seq > read) conversation.unread += 1;
    this.store.sortConversations();
    this.store.changed();
  }

  /** A `settings` push: my settings of a conversation, changed on another of my devices. */
  heardSettings(frame: SettingsPush): void {
    const conversation = this.store.find(frame.conversationId);
    if (!conversation) return;
    applySettings(conversation, frame);
    this.store.changed();
  }

  /**
   * I am (again) a member of a conversation: a notice that I was removed from it no longer applies, so it
   * goes, unless another notice has replaced it.
   */
  private memberAgain(conversationId: string): void {
    const notice = this.removals.get(conversationId);
    if (notice === undefined) return;
    this.removals.delete(conversationId);
    if (this.store.state.notice === notice) this.store.state.notice = undefined;
  }

  /**
   * Reads the details of the direct chats whose other member this browser has no profile of (no longer a
   * friend, say): the conversation's member list carries their profile, so the chat keeps their name.
   */
  private async learnMembers(): Promise<void> {
    const { state } = this.store;
    const unknown = state.conversations.filter(
      (c) => c.kind === 'direct' && c.memberIds.some((id) => state.users[id] === undefined),
    );
    await Promise.all(unknown.map((c) => this.refresh(c.conversationId)));
  }

  private drop(conversationId: string): void {
    this.store.state.conversations = this.store.state.conversations.filter(
      (c) => c.conversationId !== conversationId,
    );
    this.store.changed();
  }

  /**
   * Pins, archives, mutes or marks unread a conversation, for this user on every device; `false` when it
   * was refused (the reason is the notice). More than {@link MAX_PINNED_CONVERSATIONS} pins are refused
   * here before the server would.
   */
  async changeSettings(
    conversationId: string,
    change: { pinned?: boolean; archived?: boolean; mutedUntil?: string | null; markedUnread?: boolean },
  ): Promise<boolean> {
    const pinRefused = `You can pin up to ${MAX_PINNED_CONVERSATIONS} chats. Unpin one to pin this one.`;
    const pinned = this.store.state.conversations.filter(
      (c) => c.pinned && c.conversationId !== conversationId,
    );
    if (change.pinned && pinned.length >= MAX_PINNED_CONVERSATIONS) {
      this.store.notify(pinRefused);
      return false;
    }
    try {
      const settings = await this.api.updateConversationSettings({
        params: { conversationId },
        body: change,
      });
      const conversation = this.store.find(conversationId);
      if (conversation) applySettings(conversation, settings);
      this.store.changed();
      return true;
    } catch (error) {
      const full = error instanceof ApiError && error.code === ErrorCode.LimitReached && change.pinned;
      this.store.notify(full ? pinRefused : describeError(error));
      return false;
    }
  }

  async openDirect(userId: string): Promise<string> {
    const created = await this.api.createConversation({ body: { kind: 'direct', userId } });
    await this.refresh(created.conversationId);
    return created.conversationId;
  }

  async createGroup(name: string, memberIds: string[]): Promise<string> {
    const created = await this.api.createConversation({ body: { kind: 'group', name, memberIds } });
    await this.refresh(created.conversationId);
    return created.conversationId;
  }

  /**
   * Leaves a group: it goes from the list at once (the others read a line that I left). What this browser
   * kept of it stays in its store, unread, should I be added back.
   */
  async leaveGroup(conversationId: string): Promise<void> {
    await this.api.removeMember({ params: { conversationId, userId: this.store.myId } });
    this.drop(conversationId);
  }

  /** Makes a member of a group an admin, or an admin a member again (admins only). */
  async setMemberRole(conversationId: string, userId: string, role: MemberRole): Promise<void> {
    await this.api.updateMember({ params: { conversationId, userId }, body: { role } });
  }

  async renameGroup(conversationId: string, name: string): Promise<void> {
    await this.api.updateConversation({ params: { conversationId }, body: { name } });
  }

  async addMembers(conversationId: string, userIds: string[]): Promise<void> {
    await this.api.addMembers({ params: { conversationId }, body: { userIds } });
  }

  /** Removes someone else from a group (admins only); see {@link leaveGroup} for leaving. */
  async removeMember(conversationId: string, userId: string): Promise<void> {
    await this.api.removeMember({ params: { conversationId, userId } });
  }

  /** Deletes a message of mine for everyone: the `deleted` push then takes it off every screen. */
  async deleteMessage(conversationId: string, seq: number): Promise<void> {
    await this.api.deleteMessage({ params: { conversationId, seq } });
  }
}
