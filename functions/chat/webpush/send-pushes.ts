import { MAX_PUSH_PAYLOAD_BYTES, type PushPayload } from '../../../shared/push/payload';
import type { ConnectionStore } from '../../ports/connection-store';
import type { ConversationStore } from '../../ports/conversation-store';
import type { DeviceDirectory, PushSubscriptionRecord } from '../../ports/device-directory';
import type { ProfileStore } from '../../ports/profile-store';
import type { PushJob, PushQueue, PushTarget } from '../../ports/push-queue';
import type { PushOutcome, PushService } from '../../ports/push-service';

/** How long a push service keeps a notification for a device that is offline: a day, then it is stale. */
export const PUSH_TTL_IN_SECONDS = 24 * 60 * 60;
/** Attempts at one push before it is given up on (a push service that keeps asking to wait, or failing). */
export const MAX_PUSH_ATTEMPTS = 5;
/** The longest SQS delay, and so the longest wait before a retry. */
const MAX_DELAY_IN_SECONDS = 900;

export interface SendPushesDeps {
  readonly conversations: Pick<ConversationStore, 'get' | 'getMembership'>;
  readonly devices: Pick<DeviceDirectory, 'getPushSubscription' | 'removePushSubscription'>;
  readonly connections: Pick<ConnectionStore, 'setPushDevice'>;
  readonly profiles: Pick<ProfileStore, 'get'>;
  readonly pushService: PushService;
  /** Where pushes to try again later go back, delayed. */
  readonly pushes: PushQueue;
  /** The RFC 8030 `Topic` of a conversation's pushes. */
  readonly topicOf: (conversationId: string) => string;
  readonly clock: () => number;
}

/** What one batch of jobs came to, by device notified (never by content: there is none). */
export interface PushReport {
  /** Devices the batch named, after coalescing. */
  readonly devices: number;
  readonly sent: number;
  /** Left out: muted, no longer a member, or no subscription any more. */
  readonly skipped: number;
  /** Subscriptions the push service said are gone, now removed. */
  readonly gone: number;
  readonly retried: number;
  /** Refused by the push service, or out of attempts. */
  readonly dropped: number;
}

/** What became of one device's notification. */
type Outcome = Exclude<keyof PushReport, 'devices'>;

/** One device's notification for one conversation: what the batch's jobs for it came to. */
interface Notice {
  readonly target: PushTarget;
  readonly conversationId: string;
  readonly seq: number;
  readonly count: number;
  readonly senderId: string;
  readonly attempt: number;
  readonly correlationId: string;
}

/**
 * Sends the Web Push notifications a batch of push jobs asks for.
 * 1. Coalesce: jobs for the same device and conversation become one notification for the newest message,
 *    counting them all (a burst of messages is one push per device, not one each).
 * 2. For each conversation: read it once; leave out users who are no longer members or muted it now.
 * 3. Read each device's subscription (strongly consistent); a device with none is dropped from the
 *    fan-out's list of devices that take pushes.
 * 4. Send each, with the sender's name and the group's only where the device's owner allows names.
 *    - gone (404, 410): remove that subscription (only if it still goes there) and the device's mark;
 *    - retry (429, 5xx, no answer): queue again, delayed by `Retry-After` or backing off, up to
 *      `MAX_PUSH_ATTEMPTS`;
 *    - refused: dropped.
 * Any other failure (the table) throws, so the whole batch is tried again: a device may then get a push
 * twice, which its service worker folds into the notification it shows (same tag, same seq).
 */
export function sendPushes(deps: SendPushesDeps) {
  return async (jobs: readonly PushJob[]): Promise<PushReport> => {
    const notices = coalesce(jobs);
    const byConversation = new Map<string, Notice[]>();
    for (const notice of notices) {
      const list = byConversation.get(notice.conversationId);
      if (list) list.push(notice);
      else byConversation.set(notice.conversationId, [notice]);
    }
    const outcomes = await Promise.all(
      [...byConversation].map(([conversationId, list]) => sendForConversation(conversationId, list)),
    );
    const report = { devices: notices.length, sent: 0, skipped: 0, gone: 0, retried: 0, dropped: 0 };
    for (const outcome of outcomes.flat()) report[outcome] += 1;
    return report;
  };

  async function sendForConversation(conversationId: string, notices: readonly Notice[]) {
    const conversation = await deps.conversations.get(conversationId);
    if (!conversation) return notices.map((): Outcome => 'skipped');
    const now = deps.clock();
    const users = [...new Set(notices.map((notice) => notice.target.userId))];
    const listening = new Set(
      (
        await Promise.all(
          users.map(async (userId) => {
            if (!conversation.memberIds.includes(userId)) return undefined;
            const membership = await deps.conversations.getMembership(conversationId, userId);
            const muted = membership?.mutedUntil !== undefined && membership.mutedUntil > now;
            return membership && !muted ? userId : undefined;
          }),
        )
      ).filter((userId) => userId !== undefined),
    );
    const names = new Map<string, Promise<string | undefined>>();
    const nameOf = (userId: string) => {
      let name = names.get(userId);
      if (!name) {
        name = deps.profiles.get(userId).then((profile) => profile?.displayName || profile?.username);
        names.set(userId, name);
      }
      return name;
    };
    const group = conversation.kind === 'group' ? conversation.name : undefined;
    return Promise.all(
      notices.map(async (notice): Promise<Outcome> => {
        if (!listening.has(notice.target.userId)) return 'skipped';
        const { userId, deviceId } = notice.target;
        const subscription = await deps.devices.getPushSubscription(userId, deviceId);
        if (!subscription) {
          await deps.connections.setPushDevice(userId, deviceId, false);
          return 'skipped';
        }
        const from = subscription.preview === 'name' ? await nameOf(notice.senderId) : undefined;
        const payload: PushPayload = {
          v: 1,
          conversationId,
          seq: notice.seq,
          count: notice.count,
          ...(from ? { from } : {}),
          ...(group && subscription.preview === 'name' ? { group } : {}),
        };
        const outcome = await deps.pushService.send({
          destination: subscription,
          payload: fitted(payload),
          topic: deps.topicOf(conversationId),
          ttlSeconds: PUSH_TTL_IN_SECONDS,
          urgency: 'high',
        });
        return settle(notice, subscription, outcome);
      }),
    );
  }

  async function settle(
    notice: Notice,
    subscription: PushSubscriptionRecord,
    outcome: PushOutcome,
  ): Promise<Outcome> {
    switch (outcome.kind) {
      case 'sent':
        return 'sent';
      case 'refused':
        return 'dropped';
      case 'gone': {
        const { userId, deviceId } = notice.target;
        await deps.devices.removePushSubscription(userId, deviceId, { endpoint: subscription.endpoint });
        // The mark goes only with the subscription: a browser that subscribed anew keeps both.
        if (!(await deps.devices.getPushSubscription(userId, deviceId))) {
          await deps.connections.setPushDevice(userId, deviceId, false);
        }
        return 'gone';
      }
      case 'retry': {
        const attempt = notice.attempt + 1;
        if (attempt >= MAX_PUSH_ATTEMPTS) return 'dropped';
        await deps.pushes.enqueue(
          {
            correlationId: notice.correlationId,
            conversationId: notice.conversationId,
            seq: notice.seq,
            count: notice.count,
            senderId: notice.senderId,
            targets: [notice.target],
            attempt,
          },
          { delaySeconds: retryDelay(attempt, outcome.afterSeconds) },
        );
        return 'retried';
      }
    }
  }
}

/**
 * Seconds before attempt `attempt` (1 for the first retry): the push service's `Retry-After` when it
 * gave one, else 10 s doubling (10, 20, 40, 80), within SQS's longest delay.
 */
export function retryDelay(attempt: number, afterSeconds?: number): number {
  const wait = afterSeconds ?? 10 * 2 ** (attempt - 1);
  return Math.min(MAX_DELAY_IN_SECONDS, Math.max(1, Math.ceil(wait)));
}

/** The jobs' notifications, one per device and conversation: the newest seq, all the messages counted. */
function coalesce(jobs: readonly PushJob[]): Notice[] {
  const byKey = new Map<string, Notice>();
  for (const job of jobs) {
    for (const target of job.targets) {
      const key = JSON.stringify([target.userId, target.deviceId, job.conversationId]);
      const seen = byKey.get(key);
      const newer = !seen || job.seq > seen.seq;
      byKey.set(key, {
        target,
        conversationId: job.conversationId,
        seq: newer ? job.seq : seen.seq,
        senderId: newer ? job.senderId : seen.senderId,
        count: (seen?.count ?? 0) + job.count,
        attempt: Math.max(seen?.attempt ?? 0, job.attempt ?? 0),
        correlationId: newer ? job.correlationId : seen.correlationId,
      });
    }
  }
  return [...byKey.values()];
}

/** The payload as JSON, names shortened if it would not fit a push (they are the only long fields). */
function fitted(payload: PushPayload): string {
  const json = JSON.stringify(payload);
  if (Buffer.byteLength(json) <= MAX_PUSH_PAYLOAD_BYTES) return json;
  const { from, group, ...rest } = payload;
  return JSON.stringify({
    ...rest,
    ...(from ? { from: from.slice(0, 64) } : {}),
    ...(group ? { group: group.slice(0, 64) } : {}),
  });
}
