import { type MessageFrame, messageFrame } from '../../../shared/protocol/outbound';
import { ConnectionGoneError } from '../../errors';
import type { ConnectionStore } from '../../ports/connection-store';
import type { ConversationStore } from '../../ports/conversation-store';
import type { FanoutJob } from '../../ports/fanout-queue';
import type { MessageLog } from '../../ports/message-log';
import type { Notifier } from '../../ports/notifier';

export interface DeliverMessageDeps {
  readonly conversations: ConversationStore;
  readonly connections: ConnectionStore;
  readonly messages: MessageLog;
  readonly notifier: Notifier;
  readonly clock: () => number;
}

export interface DeliveryReport {
  readonly recipients: number;
  readonly delivered: number;
  readonly gone: number;
}

/** Posts in flight at once per job: enough to hide latency, few enough not to trip throttling. */
const MAX_CONCURRENT_POSTS = 16;

/**
 * Delivers one stored message to every open connection of the conversation's members.
 * 1. Take the push from the job (or read it from the log when it did not fit).
 * 2. List current members and their open connections.
 * 3. Post to each, except the sending connection; forget connections that are gone.
 * Any other failure throws, so the queue retries the job (clients dedupe by seq).
 */
export function deliverMessage(deps: DeliverMessageDeps) {
  return async (job: FanoutJob): Promise<DeliveryReport> => {
    const frame = job.frame ?? (await readFrame(job));
    if (!frame) return { recipients: 0, delivered: 0, gone: 0 };

    const now = deps.clock();
    const memberIds = await deps.conversations.listMemberIds(job.conversationId);
    const perMember = await Promise.all(memberIds.map((userId) => deps.connections.listByUser(userId, now)));
    const targets = perMember.flat().filter((c) => c.connectionId !== job.excludeConnectionId);

    let delivered = 0;
    let gone = 0;
    await forEachLimited(targets, MAX_CONCURRENT_POSTS, async (connection) => {
      try {
        await deps.notifier.send(connection.connectionId, frame);
        delivered += 1;
      } catch (error) {
        if (!(error instanceof ConnectionGoneError)) throw error;
        gone += 1;
        await deps.connections.delete(connection.userId, connection.connectionId);
      }
    });
    return { recipients: targets.length, delivered, gone };
  };

  async function readFrame(job: FanoutJob): Promise<MessageFrame | undefined> {
    const message = await deps.messages.get(job.conversationId, job.seq);
    if (!message) return undefined;
    return messageFrame({
      conversationId: message.conversationId,
      seq: message.seq,
      messageId: message.messageId,
      senderId: message.senderId,
      sentAt: new Date(message.sentAt).toISOString(),
      body: Buffer.from(message.body).toString('base64'),
    });
  }
}

async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  });
  await Promise.all(workers);
}
