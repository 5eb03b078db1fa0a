import type { Conversation, ConversationStore } from '../../ports/conversation-store';

/** Conversations kept in memory; membership is the conversation's `memberIds`. */
export class InMemoryConversationStore implements ConversationStore {
  private readonly conversations = new Map<string, Conversation>();

  async isMember(conversationId: string, userId: string): Promise<boolean> {
    return this.conversations.get(conversationId)?.memberIds.includes(userId) ?? false;
  }

  async createIfAbsent(conversation: Conversation): Promise<Conversation> {
    const existing = this.conversations.get(conversation.conversationId);
    if (existing) return existing;
    const stored = { ...conversation, memberIds: [...conversation.memberIds] };
    this.conversations.set(conversation.conversationId, stored);
    return stored;
  }

  async listMemberIds(conversationId: string): Promise<string[]> {
    return [...(this.conversations.get(conversationId)?.memberIds ?? [])];
  }

  /** The stored conversation; for assertions. */
  get(conversationId: string): Conversation | undefined {
    return this.conversations.get(conversationId);
  }

  /** How many conversations exist; for assertions. */
  get size(): number {
    return this.conversations.size;
  }
}
