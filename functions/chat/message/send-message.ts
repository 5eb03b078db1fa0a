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
import type { AttachmentStore } from '../../ports/attachment-store';
import { type AppendResult, isContent } from '../../ports/message-log';
import type { BusinessMetrics } from '../../ports/metrics';
import { inOrder, requireMembership } from '../access';
import { type ConversationsDeps, conversations as conversationsOf } from '../conversation/conversations';
import { directConversationId } from '../conversation/direct-conversation';
import { messageJobOf, type SendOrigin } from './message-job';

/** A send may open a direct conversation, so it needs what conversations need; and the attachments it carries. */
export type SendMessageDeps = ConversationsDeps & {
  readonly attachments: Pick<AttachmentStore, 'getMany' | 'attach'>;
  /** Counts each message stored once: a retry that returns the first result is not another message. */
  readonly metrics: Pick<BusinessMetrics, 'messageStored'>;
};

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
  /** The sender's uploads the message carries (a message or a reply), already checked to be ids. */
  readonly attachmentIds?: readonly string[];
}

/**
 * Stores a message and hands it to fan-out, in as few round trips as the rules allow:
 * 1. Refuse a body over the limit, and a `commit` (those go through `postCommit`, one per
 *    epoch, with the `commit-` message ids reserved for them).
 * 2. At once: count the send against the allowance, check membership (a direct conversation
 *    with a friend is created on first use), check a referenced message (an edit: the
 *    sender's own), check the attachments (the sender's own uploads to this conversation, free
 *    or carried by this very message already), and let the log claim the message id. A block
 *    needs no read: the log refuses content in a direct conversation either user blocks.
 * 3. Append: gap-free `seq`; a retried `messageId` returns the first result.
 * 4. Between taking the seq and placing the message, queue its fan-out job and tie its attachments
 *    to it: a message stored is a message queued whose attachments are kept, whatever happens to
 *    the request after (the sender pushes it once it finds it placed, and drops a job whose message
 *    never was). A retry does neither again.
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
      command.attachmentIds === undefined
        ? undefined
        : checkAttachments(conversationId, command.attachmentIds, command),
    ]);
    const attach = (taken: AppendResult) =>
      command.attachmentIds === undefined
        ? undefined
        : deps.attachments.attach(conversationId, command.attachmentIds, command.senderId, {
            seq: taken.seq,
            messageId: command.messageId,
            at: taken.sentAt,
          });
    const enqueue = (taken: AppendResult) =>
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
    const beforePlace = async (taken: AppendResult) => {
      await Promise.all([enqueue(taken), attach(taken)]);
    };
    const stored = await deps.messages.append(
      {
        conversationId,
        messageId: command.messageId,
        senderId: command.senderId,
        kind,
        ...(command.refSeq !== undefined ? { refSeq: command.refSeq } : {}),
        ...(command.attachmentIds !== undefined ? { attachmentIds: command.attachmentIds } : {}),
        body: Buffer.from(command.body, 'base64'),
        now,
      },
      { checks, beforePlace },
    );
    if (!stored.duplicate) deps.metrics.messageStored();
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

  /**
   * Each attachment is the sender's own upload to this conversation, not yet carried by another
   * message (a retry finds them carried by this one) nor on its way out. Others' uploads and unknown
   * ids are alike: not found.
   */
  async function checkAttachments(
    conversationId: string,
    attachmentIds: readonly string[],
    command: SendMessageCommand,
  ) {
    const records = await deps.attachments.getMany(conversationId, attachmentIds);
    const found = new Map(records.map((record) => [record.attachmentId, record]));
    for (const attachmentId of attachmentIds) {
      const record = found.get(attachmentId);
      if (!record || record.uploaderId !== command.senderId || record.discardedAt !== undefined)
        throw new NotFoundError(`No attachment ${attachmentId} of yours in this conversation`);
      if (record.messageId !== undefined && record.messageId !== command.messageId)
        throw new ValidationError(
          `Attachment ${attachmentId} is carried by another message: upload it again`,
        );
    }
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
