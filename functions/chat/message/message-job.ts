import type { MessageFrame } from '../../../shared/protocol/outbound';
import type { MessageJob, SendCheckJob } from '../../ports/fanout-queue';
import { type AppendResult, WRITER_DEADLINE_IN_MS } from '../../ports/message-log';

/**
 * How long after a send began its check runs: past the writer deadline, so the request is done or dead,
 * with a few seconds to spare for the clock of the function that runs it.
 */
export const SEND_CHECK_DELAY_IN_SECONDS = Math.ceil(WRITER_DEADLINE_IN_MS / 1000) + 5;

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

/** The fan-out job of a stored message; with its frame when the caller has the body that was stored. */
export function messageJobOf(origin: SendOrigin, stored: AppendResult, frame?: MessageFrame): MessageJob {
  return {
    kind: 'message',
    conversationId: origin.conversationId,
    seq: stored.seq,
    contentCount: stored.contentCount,
    correlationId: origin.correlationId,
    ...(origin.connectionId ? { excludeConnectionId: origin.connectionId } : {}),
    ...excludedDevice(origin),
    ...(frame ? { frame } : {}),
  };
}

/** The check that makes sure a send's message, once stored, is fanned out (see `settleSend`). */
export function sendCheckJobOf(origin: SendOrigin): SendCheckJob {
  return {
    kind: 'send-check',
    conversationId: origin.conversationId,
    senderId: origin.senderId,
    messageId: origin.messageId,
    correlationId: origin.correlationId,
    ...(origin.connectionId ? { excludeConnectionId: origin.connectionId } : {}),
    ...excludedDevice(origin),
  };
}

/** The origin a check job carries, back from the job. */
export function originOf(job: SendCheckJob): SendOrigin {
  return {
    conversationId: job.conversationId,
    senderId: job.senderId,
    messageId: job.messageId,
    correlationId: job.correlationId,
    ...(job.excludeConnectionId ? { connectionId: job.excludeConnectionId } : {}),
    ...(job.excludeDevice ? { deviceId: job.excludeDevice.deviceId } : {}),
  };
}

function excludedDevice(origin: SendOrigin) {
  return origin.deviceId ? { excludeDevice: { userId: origin.senderId, deviceId: origin.deviceId } } : {};
}
