import type { MessageKind } from '../../../shared/protocol/ids';
import { COMMIT_MESSAGE_ID_PREFIX, decodedBase64Length } from '../../../shared/protocol/ids';
import { MAX_BODY_SIZE_IN_BYTES } from '../../../shared/protocol/limits';
import { type AckFrame, ackFrame, messageFrame } from '../../../shared/protocol/outbound';
import {
  ForbiddenError,
  ImmutableMessageError,
  NotFoundError,
  PayloadTooLargeError,
  ValidationError,
} from '../../errors';
import { type AppendResult, isContent } from '../../ports/message-log';
import { inOrder, requireMembership } from '../access';
import { type ConversationsDeps, conversations as conversationsOf } from '../conversation/conversations';
import { directConversationId } from '../conversation/direct-conversation';
import { messageJobOf, type SendOrigin } from './message-job';

/** A send may open a direct conversation, so it needs what conversations need. */
export type SendMessageDeps = ConversationsDeps;

export interface SendMessageCommand {
  readonly senderId: string;
  /** The connection the send came from: it gets the ack, not a copy. Absent over HTTP. */
  readonly connectionId?: string;
  /** Over HTTP, the sending device when it said: none of its connections gets a copy. */
  readonly deviceId?: string;
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
 * Stores a message and hands it to fan-out, in as few round trips as the rules allow:
 * 1. Refuse a body over the limit, and a `commit` (those go through `postCommit`, one per
 *    epoch, with the `commit-` message ids reserved for them).
 * 2. At once: count the send against the allowance, check membership (a direct conversation
 *    with a friend is created on first use), check a referenced message (an edit: the
 *    sender's own), and let the log claim the message id. A block needs no read: the log
 *    refuses content in a direct conversation either user blocks.
 * 3. Append: gap-free `seq`; a retried `messageId` returns the first result.
 * 4. Between taking the seq and placing the message, queue its fan-out job: a message stored is a
 *    message queued, whatever happens to the request after (the sender pushes it once it finds it
 *    placed, and drops a job whose message never was). A retry queues nothing again.
 */
export function sendMessage(deps: SendMessageDeps) {
  const conversations = conversationsOf(deps);
  return async (command: SendMessageCommand): Promise<AckFrame> => {
    const size = decodedBase64Length(command.body);
    if (size > MAX_BODY_SIZE_IN_BYTES) throw new PayloadTooLargeError(size, MAX_BODY_SIZE_IN_BYTES);
    if (command.kind === 'commit') throw new ValidationError('Commits are posted to /commits, one per epoch');
    if (command.messageId.startsWith(COMMIT_MESSAGE_ID_PREFIX))
      throw new ValidationError(`Message ids starting with "${COMMIT_MESSAGE_ID_PREFIX}" are reserved`);

    const conversationId =
      command.recipientId === undefined
        ? (command.conversationId as string)
        : directConversationId(command.senderId, command.recipientId);
    const kind = command.kind ?? 'message';
    const now = deps.clock();
    const origin: SendOrigin = { ...command, conversationId };
    const checks = inOrder([
      requireAccess(command, conversationId),
      deps.rateLimiter.consume(command.senderId, 'send', now),
      command.refSeq === undefined
        ? undefined
        : checkReference(conversationId, kind, command.refSeq, command.senderId),
    ]);
    const beforePlace = (taken: AppendResult) =>
      deps.fanout.enqueue(
        messageJobOf(
          origin,
          taken,
          messageFrame({
            conversationId,
            seq: taken.seq,
            messageId: command.messageId,
            senderId: command.senderId,
            sentAt: new Date(taken.sentAt).toISOString(),
            kind,
            ...(command.refSeq !== undefined ? { refSeq: command.refSeq } : {}),
            body: command.body,
          }),
        ),
      );
    const stored = await deps.messages.append(
      {
        conversationId,
        messageId: command.messageId,
        senderId: command.senderId,
        kind,
        ...(command.refSeq !== undefined ? { refSeq: command.refSeq } : {}),
        body: Buffer.from(command.body, 'base64'),
        now,
      },
      { checks, beforePlace },
    );
    const sentAt = new Date(stored.sentAt).toISOString();
    return ackFrame({
      ...(command.requestId ? { requestId: command.requestId } : {}),
      conversationId,
      messageId: command.messageId,
      seq: stored.seq,
      sentAt,
    });
  };

  /**
   * Membership; to a recipient, the direct conversation is opened when the sender is not in it
   * yet (its first message: friendship and blocks are checked there).
   */
  async function requireAccess(command: SendMessageCommand, conversationId: string): Promise<void> {
    if (command.recipientId === undefined) {
      await requireMembership(deps.conversations, conversationId, command.senderId);
      return;
    }
    if (await deps.conversations.getMembership(conversationId, command.senderId)) return;
    await conversations.openDirect(
      { userId: command.senderId, correlationId: command.correlationId },
      command.recipientId,
    );
  }

  async function checkReference(conversationId: string, kind: MessageKind, refSeq: number, senderId: string) {
    const referenced = await deps.messages.get(conversationId, refSeq);
    if (!referenced || referenced.kind === 'skipped')
      throw new NotFoundError(`No message ${refSeq} in this conversation`);
    // A commit is the group's history, not something to edit, answer or react to.
    if (!isContent(referenced.kind)) throw new ImmutableMessageError(refSeq);
    if (kind === 'edit' && referenced.senderId !== senderId)
      throw new ForbiddenError('Only the author may edit');
    if (kind === 'edit' && referenced.deletedAt !== undefined)
      throw new ValidationError('That message was deleted');
  }
}
