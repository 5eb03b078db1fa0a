import { ConflictError, NotFoundError } from '../../errors';
import {
  applyMembershipChange,
  type Conversation,
  type ConversationStore,
  type MarkAdvance,
  type Membership,
  type MembershipChange,
} from '../../ports/conversation-store';
import { byKey } from './page';

/** Conversations and memberships kept in memory, with the semantics of `DynamoDbConversationStore`. */
export class InMemoryConversationStore implements ConversationStore {
  private readonly conversations = new Map<string, Conversation>();
  /** Per conversation, members by user id. */
  private readonly members = new Map<string, Map<string, Membership>>();

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
  ): Promise<Conversation & { readonly created?: true }> {
    const existing = this.conversations.get(conversation.conversationId);
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

  /** Removes a member item only, as a crash between writes would leave it; for arranging a test. */
  dropMembership(conversationId: string, userId: string): void {
    this.members.get(conversationId)?.delete(userId);
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
