/**
 * What a Web Push notification carries from Parley's server to a device's service worker, encrypted to
 * the device's subscription (RFC 8291) so the push service reads none of it. Only metadata the server
 * already holds to route the message: never the message's text, which the server never has.
 *
 * Parsed by hand, not with zod: the service worker is a small bundle of its own, and this is all it reads.
 */
export interface PushPayload {
  /** The payload's format; a service worker shows a plain "New message" for one it does not know. */
  readonly v: 1;
  readonly conversationId: string;
  /** The newest message this push is for. */
  readonly seq: number;
  /** How many messages of the conversation this push stands for (pushes are coalesced): at least 1. */
  readonly count: number;
  /** The sender's display name, only when the device's owner lets notifications show it. */
  readonly from?: string;
  /** The group's name, for a group and only when names may show. */
  readonly group?: string;
}

/** Bytes a payload may take: push services take 4,096 bytes after encryption, which adds about 100. */
export const MAX_PUSH_PAYLOAD_BYTES = 3_000;

/** The payload in `value`, or `undefined` when it is not one this version knows. */
export function parsePushPayload(value: unknown): PushPayload | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const { v, conversationId, seq, count, from, group } = record;
  if (v !== 1 || typeof conversationId !== 'string' || conversationId.length === 0) return undefined;
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) return undefined;
  if (!Number.isSafeInteger(count) || (count as number) < 1) return undefined;
  if (from !== undefined && typeof from !== 'string') return undefined;
  if (group !== undefined && typeof group !== 'string') return undefined;
  return {
    v,
    conversationId,
    seq: seq as number,
    count: count as number,
    ...(from ? { from } : {}),
    ...(group ? { group } : {}),
  };
}

/** What a notification for a push shows: the title, the line under it, and its tag (one per conversation). */
export interface PushNotice {
  readonly title: string;
  readonly body: string;
  readonly tag: string;
}

/**
 * The notification a push shows. With names: the sender (in a group, the group, and the sender under it);
 * without: only that messages came. Never the text: the push does not have it.
 *
 * @example
 * noticeOf({ v: 1, conversationId: 'c1', seq: 4, count: 2, from: 'Alice' });
 * // { title: 'Alice', body: '2 new messages', tag: 'c1' }
 */
export function noticeOf(payload: PushPayload): PushNotice {
  const what = payload.count > 1 ? `${payload.count} new messages` : 'New message';
  const tag = payload.conversationId;
  if (payload.group !== undefined) {
    return { title: payload.group, body: payload.from ? `${what} from ${payload.from}` : what, tag };
  }
  if (payload.from !== undefined) return { title: payload.from, body: what, tag };
  return { title: 'Parley', body: what, tag };
}
