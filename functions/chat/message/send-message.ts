import type { MessageKind } from '../../../shared/protocol/ids';
import { COMMIT_MESSAGE_ID_PREFIX, decodedBase64Length } from '../../../shared/protocol/ids';
import { MAX_BODY_SIZE_IN_BYTES } from '../../../shared/protocol/limits';
import { type AckFrame, ackFrame, messageFrame } from '../../../shared/protocol/outbound';
import { ForbiddenError, NotFoundError, PayloadTooLargeError, ValidationError } from '../../errors';
import type { ConversationStore } from '../../ports/conversation-store';
import type { RelationshipStore } from '../../ports/relationship-store';
import { requireMembership } from '../access';
import { type ConversationsDeps, conversations as conversationsOf } from '../conversation/conversations';

/** A send may open a direct conversation, so it needs what conversations need. */
export type SendMessageDeps = ConversationsDeps;

export interface SendMessageCommand {
  readonly senderId: string;
  /** The connection the send came from: it gets the ack, not a copy. Absent over HTTP. */
  readonly connectionId?: string;
  readonly correlationId: string;
  readonly requestId?: string;
  /** Exactly one of `conversationId` and `recipientId`. */
  readonly conversationId?: string;
  readonly recipientId?: string;
  readonly messageId: string;
  /** Base64 ciphertext, already checked to be base64. */
  readonly body: string;
  readonly kind?: MessageKind;
  readonly refSeq?: number;
}

/**
 * Stores a message and hands it to fan-out.
 * 1. Refuse a body over the limit, and a `commit` (those go through `postCommit`, one per
 *    epoch, with the `commit-` message ids reserved for them); count the send against the allowance.
 * 2. Resolve the conversation (a direct one with a friend is created on first use) and check
 *    membership, and in a direct conversation that neither side blocked the other.
 * 3. An edit, reply or reaction must name a message that is there (an edit: the sender's own).
 * 4. Append to the log: gap-free `seq`; a retried `messageId` returns the first result.
 * 5. Enqueue one fan-out job, also on a retry (the first attempt may have died before it).
 */
export function sendMessage(deps: SendMessageDeps) {
  const conversations = conversationsOf(deps);
  return async (command: SendMessageCommand): Promise<AckFrame> => {
    const size = decodedBase64Length(command.body);
    if (size > MAX_BODY_SIZE_IN_BYTES) throw new PayloadTooLargeError(size, MAX_BODY_SIZE_IN_BYTES);
    if (command.kind === 'commit') throw new ValidationError('Commits are posted to /commits, one per epoch');
    if (command.messageId.startsWith(COMMIT_MESSAGE_ID_PREFIX))
      throw new ValidationError(`Message ids starting with "${COMMIT_MESSAGE_ID_PREFIX}" are reserved`);
    await deps.rateLimiter.consume(command.senderId, 'send', deps.clock());

    const conversationId = await resolveConversation(command);
    const kind = command.kind ?? 'message';
    if (command.refSeq !== undefined)
      await checkReference(conversationId, kind, command.refSeq, command.senderId);
    const stored = await deps.messages.append({
      conversationId,
      messageId: command.messageId,
      senderId: command.senderId,
      kind,
      ...(command.refSeq !== undefined ? { refSeq: command.refSeq } : {}),
      body: Buffer.from(command.body, 'base64'),
      now: deps.clock(),
    });
    const sentAt = new Date(stored.sentAt).toISOString();
    await deps.fanout.enqueue({
      kind: 'message',
      conversationId,
      seq: stored.seq,
      contentCount: stored.contentCount,
      correlationId: command.correlationId,
      ...(command.connectionId ? { excludeConnectionId: command.connectionId } : {}),
      // A retry's body is not what was stored (it may differ): the sender reads the log then.
      ...(stored.duplicate
        ? {}
        : {
            frame: messageFrame({
              conversationId,
              seq: stored.seq,
              messageId: command.messageId,
              senderId: command.senderId,
              sentAt,
              kind,
              ...(command.refSeq !== undefined ? { refSeq: command.refSeq } : {}),
              body: command.body,
            }),
          }),
    });
    return ackFrame({
      ...(command.requestId ? { requestId: command.requestId } : {}),
      conversationId,
      messageId: command.messageId,
      seq: stored.seq,
      sentAt,
    });
  };

  async function resolveConversation(command: SendMessageCommand): Promise<string> {
    if (command.recipientId !== undefined) {
      const conversation = await conversations.openDirect(
        { userId: command.senderId, correlationId: command.correlationId },
        command.recipientId,
      );
      return conversation.conversationId;
    }
    const conversationId = command.conversationId as string;
    await requireMembership(deps.conversations, conversationId, command.senderId);
    await refuseBlockedDirect(deps, conversationId, command.senderId);
    return conversationId;
  }

  async function checkReference(conversationId: string, kind: MessageKind, refSeq: number, senderId: string) {
    const referenced = await deps.messages.get(conversationId, refSeq);
    if (!referenced) throw new NotFoundError(`No message ${refSeq} in this conversation`);
    if (kind === 'edit' && referenced.senderId !== senderId)
      throw new ForbiddenError('Only the author may edit');
    if (kind === 'edit' && referenced.deletedAt !== undefined)
      throw new ValidationError('That message was deleted');
  }
}

type BlockDeps = {
  conversations: Pick<ConversationStore, 'get'>;
  relationships: Pick<RelationshipStore, 'blockedEitherWay'>;
};

/** Whether this is a direct conversation whose two users are blocked either way. */
export async function blockedDirect(
  deps: BlockDeps,
  conversationId: string,
  userId: string,
): Promise<boolean> {
  // Direct conversation ids carry their kind: groups skip the extra reads.
  if (!conversationId.startsWith('d_')) return false;
  const conversation = await deps.conversations.get(conversationId);
  const peers = (conversation?.memberIds ?? []).filter((id) => id !== userId);
  return (await deps.relationships.blockedEitherWay(userId, peers)).size > 0;
}

/** In a direct conversation, nothing passes between users when either blocked the other. */
export async function refuseBlockedDirect(
  deps: BlockDeps,
  conversationId: string,
  userId: string,
): Promise<void> {
  if (await blockedDirect(deps, conversationId, userId))
    throw new ForbiddenError('You cannot message this user');
}
