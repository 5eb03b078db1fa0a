import type { PushFrame } from '../../../shared/protocol/outbound';
import type { FanoutQueue } from '../../ports/fanout-queue';

/** Queues a push to these users' devices (each of their open connections). */
export async function notifyUsers(
  fanout: FanoutQueue,
  userIds: readonly string[],
  frame: PushFrame,
  correlationId: string,
): Promise<void> {
  if (userIds.length === 0) return;
  await fanout.enqueue({ kind: 'users', userIds: [...new Set(userIds)], frame, correlationId });
}
