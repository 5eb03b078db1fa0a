import type { MessageFrame } from '../../shared/protocol/outbound';

/** One fan-out job: deliver a stored message to the members' open connections. */
export interface FanoutJob {
  readonly conversationId: string;
  readonly seq: number;
  /** Follows the request into the sender's logs. */
  readonly correlationId: string;
  /** The sending connection already has its ack; it gets no copy. */
  readonly excludeConnectionId?: string;
  /** The push itself, when it fits; otherwise the sender reads the log. */
  readonly frame?: MessageFrame;
}

export interface FanoutQueue {
  enqueue(job: FanoutJob): Promise<void>;
}
