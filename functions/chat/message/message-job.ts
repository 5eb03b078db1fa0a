import type { MessageFrame } from '../../../shared/protocol/outbound';
import type { MessageJob } from '../../ports/fanout-queue';
import type { AppendResult } from '../../ports/message-log';

/** Where a send came from, as its fan-out needs it: who gets no copy, and the request to follow in logs. */
export interface SendOrigin {
  readonly conversationId: string;
  readonly senderId: string;
  readonly messageId: string;
  readonly correlationId: string;
  /** The connection the send came from: it has the ack. */
  readonly connectionId?: string;
  /** Over HTTP, the sending device when it said: it has the answer. */
  readonly deviceId?: string;
}

/** The fan-out job of a message, queued before it is placed; with its frame when the caller has the body it stores. */
export function messageJobOf(origin: SendOrigin, taken: AppendResult, frame?: MessageFrame): MessageJob {
  return {
    kind: 'message',
    conversationId: origin.conversationId,
    seq: taken.seq,
    takenAt: taken.sentAt,
    contentCount: taken.contentCount,
    correlationId: origin.correlationId,
    ...(origin.connectionId ? { excludeConnectionId: origin.connectionId } : {}),
    ...excludedDevice(origin),
    ...(frame ? { frame } : {}),
  };
}

function excludedDevice(origin: SendOrigin) {
  return origin.deviceId ? { excludeDevice: { userId: origin.senderId, deviceId: origin.deviceId } } : {};
}
