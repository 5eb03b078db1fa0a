import { noticeOf, type PushPayload, parsePushPayload } from '../../../shared/push/payload';

/** What the service worker keeps in a notification's `data`, to add the next push for its conversation to it. */
export interface NoticeData {
  readonly conversationId: string;
  /** The newest message the notification stands for. */
  readonly seq: number;
  /** How many messages it stands for. */
  readonly count: number;
}

/** A notification to show: `registration.showNotification(title, { body, tag, data })`. */
export interface PlannedNotice {
  readonly title: string;
  readonly body: string;
  readonly tag: string;
  /** Absent for a push the worker could not read. */
  readonly data?: NoticeData;
}

/** The tag of the plain notice for pushes the worker cannot read: one of them at a time too. */
export const UNREADABLE_TAG = 'parley';

/**
 * What a push shows, given the notification already shown for its conversation, if any: one per
 * conversation, replacing the one before and counting its messages too. `undefined`: show nothing new,
 * since what is shown already covers this push (it came late, or twice).
 *
 * A push the worker cannot read (another payload version, or none) still shows a plain notice: Chrome
 * requires something visible for every push, and a message may well have come.
 *
 * @example
 * planNotice({ v: 1, conversationId: 'c1', seq: 7, count: 1, from: 'Bob' }, { conversationId: 'c1', seq: 5, count: 1 });
 * // { title: 'Bob', body: '2 new messages', tag: 'c1', data: { conversationId: 'c1', seq: 7, count: 2 } }
 */
export function planNotice(payload: PushPayload | undefined, shown: unknown): PlannedNotice | undefined {
  if (payload === undefined) return { title: 'Parley', body: 'New message', tag: UNREADABLE_TAG };
  const before = parseNoticeData(shown);
  const earlier = before?.conversationId === payload.conversationId ? before : undefined;
  if (earlier && payload.seq <= earlier.seq) return undefined;
  const count = payload.count + (earlier?.count ?? 0);
  const { title, body, tag } = noticeOf({ ...payload, count });
  return { title, body, tag, data: { conversationId: payload.conversationId, seq: payload.seq, count } };
}

/** The data of a notification this worker showed, or `undefined`. */
export function parseNoticeData(value: unknown): NoticeData | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { conversationId, seq, count } = value as Record<string, unknown>;
  if (typeof conversationId !== 'string' || conversationId === '') return undefined;
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(count)) return undefined;
  return { conversationId, seq: seq as number, count: count as number };
}

/** A push's payload (`PushEvent.data.text()`), or `undefined` when it is empty, not JSON, or not one Parley knows. */
export function readPush(text: (() => string) | undefined): PushPayload | undefined {
  if (text === undefined) return undefined;
  try {
    return parsePushPayload(JSON.parse(text()));
  } catch {
    return undefined;
  }
}
