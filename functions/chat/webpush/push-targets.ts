import type { Reach } from '../../ports/connection-store';
import { MAX_PUSH_TARGETS_PER_JOB, type PushJob, type PushTarget } from '../../ports/push-queue';

/**
 * The push jobs a content message makes: one target per device of a member other than its sender that
 * takes Web Push and has no open connection (a device with one gets the message over it), in jobs of at
 * most `MAX_PUSH_TARGETS_PER_JOB` devices. A connection that named no device covers none: its user's
 * devices are notified as if it were not there (a second notification is better than none).
 */
export function pushJobsFor(
  reach: readonly Reach[],
  message: { conversationId: string; seq: number; senderId: string; correlationId: string },
): PushJob[] {
  const targets: PushTarget[] = [];
  for (const user of reach) {
    if (user.userId === message.senderId || user.pushDevices.length === 0) continue;
    const connected = new Set(user.connections.map((connection) => connection.deviceId));
    for (const deviceId of user.pushDevices) {
      if (!connected.has(deviceId)) targets.push({ userId: user.userId, deviceId });
    }
  }
  const jobs: PushJob[] = [];
  for (let start = 0; start < targets.length; start += MAX_PUSH_TARGETS_PER_JOB) {
    jobs.push({
      correlationId: message.correlationId,
      conversationId: message.conversationId,
      seq: message.seq,
      count: 1,
      senderId: message.senderId,
      targets: targets.slice(start, start + MAX_PUSH_TARGETS_PER_JOB),
    });
  }
  return jobs;
}
