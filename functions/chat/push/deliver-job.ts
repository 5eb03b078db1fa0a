import { MAX_FRAME_SIZE_IN_BYTES, NEW_CONNECTION_PUSHED_WITHIN_IN_MS } from '../../../shared/protocol/limits';
import {
  devicePush,
  type MessageFrame,
  type MessageRefPush,
  messageFrame,
  messageRefPush,
  type OutboundFrame,
} from '../../../shared/protocol/outbound';
import { NotPlacedYetError } from '../../errors';
import type { ConnectionStore } from '../../ports/connection-store';
import type { ConversationStore } from '../../ports/conversation-store';
import type { FanoutJob, FanoutQueue, MessageJob } from '../../ports/fanout-queue';
import {
  isContent,
  type MessageLog,
  type StoredMessage,
  WRITER_DEADLINE_IN_MS,
} from '../../ports/message-log';
import type { Notifier } from '../../ports/notifier';
import type { PushQueue } from '../../ports/push-queue';
import type { RelationshipStore } from '../../ports/relationship-store';
import { presenceAudience } from '../presence/audience';
import { envelope, iso } from '../views';
import { pushJobsFor } from '../webpush/push-targets';
import { closeAll } from './close-all';
import { type PostReport, postAll } from './post-all';
import { senderReadMarks } from './sender-read-marks';

/**
 * Receipts of groups larger than this reach only the reader's own devices:
 * pushing every mark to every member grows with the square of the group.
 * Members of large groups read receipts with `GET /conversations/{id}`.
 */
export const RECEIPT_PUSH_MAX_MEMBERS = 32;

/**
 * Audiences up to this many users have their connections read for every push (a few read units at most).
 * Larger ones take a view up to `NEW_CONNECTION_PUSHED_WITHIN_IN_MS` old: a connection opened meanwhile is
 * pushed from then on, and its client reads the log again that long after connecting.
 */
export const FRESH_CONNECTIONS_MAX_USERS = 16;

export interface DeliverJobDeps {
  readonly conversations: ConversationStore;
  readonly connections: ConnectionStore;
  readonly messages: MessageLog;
  readonly relationships: RelationshipStore;
  readonly notifier: Notifier;
  /** Where the `offline` push of a user whose last connection is found gone is queued. */
  readonly fanout: FanoutQueue;
  /** Where Web Push notifications for devices without an open connection are queued. */
  readonly pushes: PushQueue;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** What `deliverJob` runs: every job but a connection check (the sender runs those with `checkConnection`). */
export type DeliverableJob = Exclude<FanoutJob, { kind: 'connection-check' }>;
type PushJob = Exclude<DeliverableJob, { kind: 'close' }>;

const NOTHING: PostReport = { recipients: 0, delivered: 0, gone: 0 };

/** Who gets a job's frame, and work that goes on beside finding and posting to them. */
interface Target {
  readonly userIds: Iterable<string>;
  readonly frame: OutboundFrame;
  readonly alongside?: Promise<unknown>;
  /** A content message: its members' devices without an open connection are notified by Web Push. */
  readonly notify?: { readonly senderId: string };
}

/**
 * Delivers one fan-out job, in two round trips before the first post.
 * 1. Work out the audience: the conversation's current members (read now, so a removed
 *    member gets nothing more), the listed users, a user's presence audience, or for a
 *    device change that audience and the user's own devices.
 *    A message too large for one WebSocket frame goes as a `message-ref` (the client fetches it).
 * 2. Look up their open connections in one batch and post the frame to each, except the
 *    connection that caused it; forget connections that are gone. A message moves its
 *    sender's read mark meanwhile. The same read names each member's devices that take Web Push:
 *    for a content message, those of other members with no open connection get a push job.
 * Any other failure throws, so the queue retries the job (clients dedupe).
 * A `close` job closes the listed connections instead (`closeAll`).
 *
 * A job delivered again (`redelivered`: the queue gave it out before) pushes a message as the log holds it
 * now, not as the job carries it: a message deleted meanwhile is not pushed again, body and all.
 */
export function deliverJob(deps: DeliverJobDeps) {
  const raiseSenderMark = senderReadMarks(deps.conversations);
  return async (job: DeliverableJob, options: { redelivered?: boolean } = {}): Promise<PostReport> => {
    if (job.kind === 'close') return closeAll(deps, job);
    const target = await audienceOf(job, options.redelivered === true);
    if (!target) return NOTHING;
    const [report] = await Promise.all([post(job, target), target.alongside]);
    return report;
  };

  async function post(job: PushJob, target: Target): Promise<PostReport> {
    const userIds = [...new Set(target.userIds)];
    const reach = await deps.connections.reachOf(userIds, deps.clock(), {
      maxAgeInMs: userIds.length > FRESH_CONNECTIONS_MAX_USERS ? NEW_CONNECTION_PUSHED_WITHIN_IN_MS : 0,
    });
    const connections = reach.flatMap((user) => user.connections);
    const notified =
      target.notify && job.kind === 'message'
        ? pushJobsFor(reach, {
            conversationId: job.conversationId,
            seq: job.seq,
            senderId: target.notify.senderId,
            correlationId: job.correlationId,
          }).map((push) => deps.pushes.enqueue(push))
        : [];
    const device = job.kind === 'message' ? job.excludeDevice : undefined;
    const targets = connections.filter(
      (c) =>
        c.connectionId !== job.excludeConnectionId &&
        !(device && c.userId === device.userId && c.deviceId === device.deviceId),
    );
    const [report] = await Promise.all([
      postAll(deps, targets, target.frame, job.correlationId),
      ...notified,
    ]);
    return report;
  }

  async function audienceOf(job: PushJob, redelivered: boolean): Promise<Target | undefined> {
    switch (job.kind) {
      case 'message': {
        const [conversation, stored] = await Promise.all([
          deps.conversations.get(job.conversationId),
          placedMessage(job),
        ]);
        // A deleted one is not pushed: its `deleted` push went out when it was deleted.
        if (!conversation || !stored || stored.deletedAt !== undefined) return undefined;
        const push = job.frame && !redelivered ? fromJob(job.frame, job.contentCount) : pushOf(stored);
        // Sending implies reading what came before: the sender's unread count stays honest.
        // A commit is no content: it counts as nobody's read.
        const readsOwn = isContent(push.kind) && conversation.memberIds.includes(push.senderId);
        return {
          userIds: conversation.memberIds,
          frame: push.frame,
          ...(readsOwn ? { alongside: markRead(job.conversationId, job.seq, push) } : {}),
          ...(isContent(push.kind) ? { notify: { senderId: push.senderId } } : {}),
        };
      }
      case 'conversation': {
        const conversation = await deps.conversations.get(job.conversationId);
        const members = conversation?.memberIds ?? [];
        if (job.frame.type === 'receipt' && members.length > RECEIPT_PUSH_MAX_MEMBERS) {
          return { userIds: [job.frame.userId], frame: job.frame };
        }
        return { userIds: new Set([...members, ...(job.alsoUserIds ?? [])]), frame: job.frame };
      }
      case 'users':
        return { userIds: job.userIds, frame: job.frame };
      case 'presence': {
        const audience = await presenceAudience(deps, job.userId);
        return {
          userIds: audience,
          frame: {
            type: 'presence',
            userId: job.userId,
            online: job.online,
            ...(job.lastSeenAt !== undefined ? { lastSeenAt: iso(job.lastSeenAt) } : {}),
          },
        };
      }
      case 'profile': {
        // Whoever shows the name: friends and co-members, and the user's own other devices.
        const audience = await presenceAudience(deps, job.user.userId);
        audience.add(job.user.userId);
        return { userIds: audience, frame: { type: 'profile', user: job.user } };
      }
      case 'device': {
        // A name is the user's own label: only their devices list it.
        if (job.event === 'renamed') {
          return {
            userIds: new Set([job.userId]),
            frame: devicePush({ event: job.event, userId: job.userId, deviceId: job.deviceId }),
          };
        }
        // The user's own devices share every group with the new or revoked one.
        const audience = await presenceAudience(deps, job.userId);
        audience.add(job.userId);
        return {
          userIds: audience,
          frame: devicePush({ event: job.event, userId: job.userId, deviceId: job.deviceId }),
        };
      }
    }
  }

  /** A frame from the job, or its reference when it would not fit one WebSocket frame. */
  function fromJob(frame: MessageFrame, contentCount: number | undefined): Push {
    return {
      frame: fitsOneFrame(frame)
        ? frame
        : messageRefPush({ conversationId: frame.conversationId, seq: frame.seq }),
      senderId: frame.senderId,
      kind: frame.kind,
      ...(contentCount === undefined ? {} : { contentCount }),
    };
  }

  /**
   * The message a job is for, once it is placed. The job is queued between taking the seq and placing
   * the message, so the sender may come a moment early: it looks again, for up to about a second. A seq
   * filled as `skipped` (the writer died) was never this message's, and one still empty
   * a writer's deadline after it was taken never will be: the job is dropped. Otherwise the job fails and
   * the queue hands it out again later.
   */
  async function placedMessage(job: MessageJob): Promise<StoredMessage | undefined> {
    for (let attempt = 0; ; attempt += 1) {
      const message = await deps.messages.get(job.conversationId, job.seq);
      // A seq holds its own message or, once its writer could no longer place it, `skipped`: nothing else.
      if (message) return message.kind === 'skipped' ? undefined : message;
      if (job.takenAt !== undefined && deps.clock() - job.takenAt >= WRITER_DEADLINE_IN_MS) return undefined;
      const wait = PLACEMENT_WAITS_IN_MS[attempt];
      if (wait === undefined) throw new NotPlacedYetError(job.conversationId, job.seq);
      await deps.sleep(wait);
    }
  }

  /** The stored message as a push; one whose body is in the blob store is pushed by reference. */
  function pushOf(message: StoredMessage): Push {
    const common = { senderId: message.senderId, kind: message.kind, contentCount: message.contentCount };
    if (message.bodyRef) {
      return {
        frame: messageRefPush({ conversationId: message.conversationId, seq: message.seq }),
        ...common,
      };
    }
    return { ...fromJob(messageFrame(envelope(message)), message.contentCount), ...common };
  }

  async function markRead(conversationId: string, seq: number, push: Push) {
    const readContentCount =
      push.contentCount ?? (await deps.messages.get(conversationId, seq))?.contentCount ?? seq;
    await raiseSenderMark(conversationId, push.senderId, seq, readContentCount);
  }
}

/** How long the sender waits, one after another, for a message its job came ahead of: about a second in all. */
const PLACEMENT_WAITS_IN_MS = [10, 20, 40, 80, 160, 320, 400];

interface Push {
  readonly frame: MessageFrame | MessageRefPush;
  readonly senderId: string;
  readonly kind: MessageFrame['kind'];
  readonly contentCount?: number;
}

/** Whether the frame, as JSON, fits API Gateway's WebSocket frame limit. */
export function fitsOneFrame(frame: OutboundFrame): boolean {
  return Buffer.byteLength(JSON.stringify(frame)) <= MAX_FRAME_SIZE_IN_BYTES;
}
