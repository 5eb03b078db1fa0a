import { messageFrame } from '../../../shared/protocol/outbound';
import { type ConversationEvent, encodeConversationEvent } from '../../../shared/protocol/resources';
import type { Conversation } from '../../ports/conversation-store';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { AppendResult, MessageLog } from '../../ports/message-log';
import type { Caller } from '../access';
import { messageJobOf } from '../message/message-job';
import { iso } from '../views';

export interface LogEventDeps {
  readonly messages: Pick<MessageLog, 'append'>;
  readonly fanout: Pick<FanoutQueue, 'enqueue'>;
  readonly clock: () => number;
}

/**
 * Writes a change of a group into its log as a message of kind `event`, pushed like any message, so every
 * member's devices show the same line at the same place, and a device that was away reads it on catch-up.
 * The server writes it, not a client: the change is the server's own (it keeps the member list), and the
 * line must not depend on a member's device being online to tell the others. The id is the conversation's
 * version after the change, so a repeat of the same step stores it once.
 * 1. Take a seq (not content: no unread count moves) and queue its push before placing it.
 */
export function logConversationEvent(deps: LogEventDeps) {
  return async (caller: Caller, changed: Conversation, event: ConversationEvent): Promise<AppendResult> => {
    const { conversationId } = changed;
    const messageId = `event-${changed.version}`;
    const body = encodeConversationEvent(event);
    const origin = {
      conversationId,
      senderId: caller.userId,
      messageId,
      correlationId: caller.correlationId,
    };
    return deps.messages.append(
      { conversationId, messageId, senderId: caller.userId, kind: 'event', body, now: deps.clock() },
      {
        beforePlace: (taken) =>
          deps.fanout.enqueue(
            messageJobOf(
              origin,
              taken,
              messageFrame({
                conversationId,
                seq: taken.seq,
                messageId,
                senderId: caller.userId,
                sentAt: iso(taken.sentAt),
                kind: 'event',
                body: Buffer.from(body).toString('base64'),
              }),
            ),
          ),
      },
    );
  };
}
