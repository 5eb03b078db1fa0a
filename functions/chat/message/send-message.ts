import { decodedBase64Length } from '../../../shared/protocol/ids';
import { MAX_BODY_SIZE_IN_BYTES } from '../../../shared/protocol/limits';
import { type AckFrame, ackFrame, messageFrame } from '../../../shared/protocol/outbound';
import { ForbiddenError, PayloadTooLargeError } from '../../errors';
import type { ConversationStore } from '../../ports/conversation-store';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { MessageLog } from '../../ports/message-log';
import type { UserRegistry } from '../../ports/user-directory';
import { openDirectConversation } from '../conversation/direct-conversation';

export interface SendMessageDeps {
  readonly conversations: ConversationStore;
  readonly users: UserRegistry;
  readonly messages: MessageLog;
  readonly fanout: FanoutQueue;
  readonly clock: () => number;
}

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
}

/**
 * Stores a message and hands it to fan-out.
 * 1. Refuse a body over the limit.
 * 2. Resolve the conversation (a direct one is created on first use) and check membership.
 * 3. Append to the log: gap-free `seq`; a retried `messageId` returns the first result.
 * 4. Enqueue one fan-out job, also on a retry (the first attempt may have died before it).
 */
export function sendMessage(deps: SendMessageDeps) {
  const openDirect = openDirectConversation(deps);
  return async (command: SendMessageCommand): Promise<AckFrame> => {
    const size = decodedBase64Length(command.body);
    if (size > MAX_BODY_SIZE_IN_BYTES) throw new PayloadTooLargeError(size, MAX_BODY_SIZE_IN_BYTES);

    const conversationId = await resolveConversation(command);
    const stored = await deps.messages.append({
      conversationId,
      messageId: command.messageId,
      senderId: command.senderId,
      body: Buffer.from(command.body, 'base64'),
      now: deps.clock(),
    });
    const sentAt = new Date(stored.sentAt).toISOString();
    await deps.fanout.enqueue({
      conversationId,
      seq: stored.seq,
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
      const conversation = await openDirect({ userId: command.senderId, peerId: command.recipientId });
      return conversation.conversationId;
    }
    const conversationId = command.conversationId as string;
    // One answer for "no such conversation" and "not yours": existence is not revealed.
    if (!(await deps.conversations.isMember(conversationId, command.senderId))) {
      throw new ForbiddenError('You are not a member of this conversation');
    }
    return conversationId;
  }
}
