import { groupsFull } from '../../caps';
import { ConflictError, NotFoundError } from '../../errors';
import {
  applyMembershipChange,
  type Conversation,
  type ConversationStore,
  type CreateOptions,
  DELETED_CREATOR,
  type MarkAdvance,
  type Membership,
  type MembershipChange,
  type SettingsChange,
} from '../../ports/conversation-store';
import { byKey } from './page';

/** Conversations and memberships kept in memory, with the semantics of `DynamoDbConversationStore`. */
export class InMemoryConversationStore implements ConversationStore {
  private readonly conversations = new Map<string, Conversation>();
  /** Per conversation, members by user id. */
  private readonly members = new Map<string, Map<string, Membership>>();
  /** Per user, the groups they are counted in. */
  private readonly groups = new Map<string, Set<string>>();
  /** Per user, the conversations they pinned. */
  private readonly pins = new Map<string, Set<string>>();

  /** How many conversations exist; for assertions. */
  get size(): number {
    return this.conversations.size;
  }

  async get(conversationId: string): Promise<Conversation | undefined> {
    const conversation = this.conversations.get(conversationId);
    return conversation && copyConversation(conversation);
  }

  async getMany(conversationIds: readonly string[]): Promise<Conversation[]> {
    return [...new Set(conversationIds)].flatMap((conversationId) => {
      const conversation = this.conversations.get(conversationId);
      return conversation ? [copyConversation(conversation)] : [];
    });
  }

  async getMembership(conversationId: string, userId: string): Promise<Membership | undefined> {
    const membership = this.members.get(conversationId)?.get(userId);
    return membership && { ...membership };
  }

  async createIfAbsent(
    conversation: Conversation,
    members: readonly Membership[],
    options: CreateOptions = {},
  ): Promise<Conversation & { readonly created?: true }> {
    const existing = this.conversations.get(conversation.conversationId);
    if (!existing && conversation.kind === 'group') {
      this.joinGroups(conversation.conversationId, conversation.memberIds, options.groupsPerUser);
    }
    const stored = existing ?? copyConversation(conversation);
    this.conversations.set(stored.conversationId, stored);
    // A repeat completes the member items a cut-off creation missed, unless a change came since.
    if (existing && existing.version !== conversation.version) return copyConversation(existing);
    const byUser = this.membersOf(stored.conversationId);
    for (const member of members) {
      const missing = !byUser.has(member.userId) && stored.memberIds.includes(member.userId);
      if (!existing || missing) {
        byUser.set(member.userId, { ...member, conversationId: stored.conversationId });
      }
    }
    return existing ? copyConversation(stored) : { ...copyConversation(stored), created: true };
  }

  async change(
    conversationId: string,
    expectedVersion: number,
    change: MembershipChange,
  ): Promise<Conversation> {
    const stored = this.conversations.get(conversationId);
    if (!stored) throw new NotFoundError('No such conversation');
    if (stored.version !== expectedVersion) throw new ConflictError('The conversation changed meanwhile');

    const { removed, added, memberIds, membersChanged } = applyMembershipChange(stored.memberIds, change);
    if (stored.kind === 'group') {
      this.joinGroups(
        conversationId,
        added.map((member) => member.userId),
        change.groupsPerUser,
      );
      for (const userId of removed)
        if (!memberIds.includes(userId)) this.groups.get(userId)?.delete(conversationId);
    }
    const updated: Conversation = {
      ...stored,
      ...(change.name === undefined ? {} : { name: change.name }),
      memberIds,
      version: expectedVersion + 1,
      membersVersion: stored.membersVersion + (membersChanged ? 1 : 0),
    };
    this.conversations.set(conversationId, updated);

    const byUser = this.membersOf(conversationId);
    for (const userId of removed) byUser.delete(userId);
    for (const member of added) byUser.set(member.userId, { ...member, conversationId });
    for (const [userId, role] of Object.entries(change.roles ?? {})) {
      const member = byUser.get(userId);
      if (member && memberIds.includes(userId)) byUser.set(userId, { ...member, role });
    }
    return copyConversation(updated);
  }

  async listMembers(conversationId: string): Promise<Membership[]> {
    return [...(this.members.get(conversationId)?.values() ?? [])]
      .sort(byKey((member) => member.userId))
      .map((member) => ({ ...member }));
  }

  async listConversationIdsOf(userId: string): Promise<string[]> {
    return [...this.members.entries()]
      .filter(([, byUser]) => byUser.has(userId))
      .map(([conversationId]) => conversationId)
      .sort();
  }

  async pageConversationIdsOf(userId: string, limit: number, after?: string) {
    const all = [...this.members.entries()]
      .filter(([id, byUser]) => byUser.has(userId) && (after === undefined || id > after))
      .map(([id]) => id)
      .sort();
    const ids = all.slice(0, limit);
    const last = ids.at(-1);
    return all.length > limit && last !== undefined ? { ids, next: last } : { ids };
  }

  async countGroupsOf(userId: string): Promise<number> {
    return this.groups.get(userId)?.size ?? 0;
  }

  async getMemberships(userId: string, conversationIds: readonly string[]): Promise<Membership[]> {
    return [...new Set(conversationIds)].flatMap((conversationId) => {
      const member = this.members.get(conversationId)?.get(userId);
      return member ? [{ ...member }] : [];
    });
  }

  async advanceMarks(
    conversationId: string,
    userId: string,
    marks: MarkAdvance,
    options: { readonly hidden?: boolean } = {},
  ): Promise<Membership> {
    const member = this.members.get(conversationId)?.get(userId);
    if (!member) throw new NotFoundError('Not a member of this conversation');
    const forward = marks.read !== undefined && marks.read > member.read;
    // What was read reached a device: delivery is raised with it.
    const delivered = Math.max(member.delivered, marks.delivered ?? 0, marks.read ?? 0);
    const { shown: before, ...own } = member;
    // The marks others see: held back while hidden, raised like the member's own otherwise.
    const publicMarks = before ?? { delivered: member.delivered, read: member.read };
    const read = forward ? (marks.read as number) : member.read;
    const shown = options.hidden
      ? publicMarks
      : {
          delivered: delivered > member.delivered ? delivered : publicMarks.delivered,
          read: forward ? read : publicMarks.read,
        };
    const advanced: Membership = {
      ...own,
      delivered,
      ...(forward ? { read, readContentCount: marks.readContentCount } : {}),
      ...(shown.delivered < delivered || shown.read < read ? { shown } : {}),
    };
    this.membersOf(conversationId).set(userId, advanced);
    return { ...advanced };
  }

  async raiseReadMark(
    conversationId: string,
    userId: string,
    read: number,
    readContentCount: number,
  ): Promise<boolean> {
    const member = this.members.get(conversationId)?.get(userId);
    if (!member || member.read >= read) return false;
    this.membersOf(conversationId).set(userId, {
      ...member,
      read,
      readContentCount,
      delivered: Math.max(member.delivered, read),
    });
    return true;
  }

  async changeSettings(
    conversationId: string,
    userId: string,
    change: SettingsChange,
  ): Promise<Membership | undefined> {
    const member = this.members.get(conversationId)?.get(userId);
    if (!member) return undefined;
    const { archived, mutedUntil, markedUnread, ...rest } = member;
    const next = {
      archived: change.archived ?? archived === true,
      mutedUntil: change.mutedUntil === undefined ? mutedUntil : change.mutedUntil,
      markedUnread: change.markedUnread ?? markedUnread === true,
    };
    const changed: Membership = {
      ...rest,
      ...(next.archived ? { archived: true } : {}),
      ...(typeof next.mutedUntil === 'number' ? { mutedUntil: next.mutedUntil } : {}),
      ...(next.markedUnread ? { markedUnread: true } : {}),
    };
    this.membersOf(conversationId).set(userId, changed);
    return { ...changed };
  }

  async listPinned(userId: string): Promise<string[]> {
    return [...(this.pins.get(userId) ?? [])];
  }

  async pin(userId: string, conversationId: string, limit: number): Promise<boolean> {
    const pinned = this.pins.get(userId) ?? new Set<string>();
    if (!pinned.has(conversationId) && pinned.size >= limit) return false;
    this.pins.set(userId, pinned.add(conversationId));
    return true;
  }

  async unpin(userId: string, conversationIds: readonly string[]): Promise<void> {
    for (const conversationId of conversationIds) this.pins.get(userId)?.delete(conversationId);
  }

  async forgetCreator(conversationId: string, userId: string): Promise<void> {
    const conversation = this.conversations.get(conversationId);
    if (conversation?.createdBy === userId) {
      this.conversations.set(conversationId, { ...conversation, createdBy: DELETED_CREATOR });
    }
  }

  /** Removes a member item only, as a crash between writes would leave it; for arranging a test. */
  dropMembership(conversationId: string, userId: string): void {
    this.members.get(conversationId)?.delete(userId);
  }

  /** Counts the group for each user, or, when one of them is full, none. */
  private joinGroups(conversationId: string, userIds: readonly string[], limit: number | undefined) {
    const groupsOf = (userId: string) => this.groups.get(userId) ?? new Set<string>();
    const full = userIds.filter((userId) => {
      const groups = groupsOf(userId);
      return limit !== undefined && !groups.has(conversationId) && groups.size >= limit;
    });
    if (limit !== undefined && full.length > 0) throw groupsFull(limit, full);
    for (const userId of userIds) this.groups.set(userId, groupsOf(userId).add(conversationId));
  }

  private membersOf(conversationId: string): Map<string, Membership> {
    let byUser = this.members.get(conversationId);
    if (!byUser) {
      byUser = new Map();
      this.members.set(conversationId, byUser);
    }
    return byUser;
  }
}

function copyConversation(conversation: Conversation): Conversation {
  return { ...conversation, memberIds: [...conversation.memberIds] };
}
