export type ConversationKind = 'direct';

export interface Conversation {
  readonly conversationId: string;
  readonly kind: ConversationKind;
  readonly memberIds: readonly string[];
  /** Epoch ms. */
  readonly createdAt: number;
}

/** Conversations and their memberships. */
export interface ConversationStore {
  /** Whether `userId` is a current member of the conversation (strongly consistent). */
  isMember(conversationId: string, userId: string): Promise<boolean>;
  /** Creates the conversation and its memberships; a repeat call is a no-op returning the stored one. */
  createIfAbsent(conversation: Conversation): Promise<Conversation>;
  /** User ids of the current members. */
  listMemberIds(conversationId: string): Promise<string[]>;
}
