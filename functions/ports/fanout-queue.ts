import type { MessageFrame, PushFrame } from '../../shared/protocol/outbound';

interface JobBase {
  /** Follows the request into the sender's logs. */
  readonly correlationId: string;
  /** The connection that made the change already has its answer; it gets no copy. */
  readonly excludeConnectionId?: string;
}

/** Deliver a stored message to the members' open connections. */
export interface MessageJob extends JobBase {
  readonly kind: 'message';
  readonly conversationId: string;
  readonly seq: number;
  /** The push itself, when it fits; otherwise the sender reads the log. */
  readonly frame?: MessageFrame;
  /** The message's `contentCount` (for the sender's read mark); read from the log when absent. */
  readonly contentCount?: number;
}

/** Push a frame to the conversation's current members, and to `alsoUserIds` (e.g. who was just removed). */
export interface ConversationJob extends JobBase {
  readonly kind: 'conversation';
  readonly conversationId: string;
  readonly frame: PushFrame;
  readonly alsoUserIds?: readonly string[];
}

/** Push a frame to these users' devices. */
export interface UsersJob extends JobBase {
  readonly kind: 'users';
  readonly userIds: readonly string[];
  readonly frame: PushFrame;
}

/** Tell the user's friends and co-members (never users blocked either way) that they came or went. */
export interface PresenceJob extends JobBase {
  readonly kind: 'presence';
  readonly userId: string;
  readonly online: boolean;
  /** Epoch ms. */
  readonly lastSeenAt?: number;
}

/**
 * Tell everyone who shares MLS groups with the user (their own devices, friends and co-members, never
 * users blocked either way) that one of the user's devices was registered or revoked.
 */
export interface DeviceJob extends JobBase {
  readonly kind: 'device';
  readonly userId: string;
  readonly deviceId: string;
  readonly event: 'registered' | 'revoked';
}

/** One fan-out job. */
export type FanoutJob = MessageJob | ConversationJob | UsersJob | PresenceJob | DeviceJob;

export interface FanoutQueue {
  enqueue(job: FanoutJob): Promise<void>;
}
