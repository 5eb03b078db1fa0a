import { settingsPush } from '../../../shared/protocol/outbound';
import type { ConversationSettings } from '../../../shared/protocol/resources';
import { ForbiddenError, LimitReachedError } from '../../errors';
import type { ConversationStore } from '../../ports/conversation-store';
import type { FanoutQueue } from '../../ports/fanout-queue';
import type { RateLimiter } from '../../ports/rate-limiter';
import { type Caller, requireMembership } from '../access';
import { settingsOf } from './settings-view';

export interface UpdateSettingsDeps {
  readonly conversations: ConversationStore;
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  /** At most this many conversations pinned at once per user. */
  readonly maxPinned: number;
  readonly clock: () => number;
}

/** What a member may change of their own settings: only the fields given change. */
export interface SettingsUpdate {
  readonly pinned?: boolean;
  readonly archived?: boolean;
  /** ISO 8601; `null` (or a time already past) unmutes. */
  readonly mutedUntil?: string | null;
  readonly markedUnread?: boolean;
}

/**
 * Changes the caller's own settings of a conversation: pinned, archived, muted, marked unread.
 * 1. Count it against the write allowance; check membership.
 * 2. Pin (within the cap) or unpin; store the other settings on the membership.
 * 3. Push the settings to every device of the caller, and answer them.
 */
export function updateSettings(deps: UpdateSettingsDeps) {
  return async (
    caller: Caller,
    conversationId: string,
    update: SettingsUpdate,
  ): Promise<ConversationSettings> => {
    const now = deps.clock();
    await deps.rateLimiter.consume(caller.userId, 'write', now);
    await requireMembership(deps.conversations, conversationId, caller.userId);
    if (update.pinned === true) await pin(caller.userId, conversationId);
    if (update.pinned === false) await deps.conversations.unpin(caller.userId, [conversationId]);
    const membership = await deps.conversations.changeSettings(conversationId, caller.userId, {
      archived: update.archived,
      mutedUntil: mutedUntilOf(update.mutedUntil, now),
      markedUnread: update.markedUnread,
    });
    if (!membership) throw new ForbiddenError('You are not a member of this conversation');
    const pinned =
      update.pinned ?? (await deps.conversations.listPinned(caller.userId)).includes(conversationId);
    const settings = settingsOf(membership, pinned, now);
    await deps.fanout.enqueue({
      kind: 'users',
      userIds: [caller.userId],
      frame: settingsPush(settings),
      correlationId: caller.correlationId,
    });
    return settings;
  };

  /**
   * Pins within the cap. Leaving a conversation does not unpin it, so a refusal first drops the pins of
   * conversations the user is no longer in, and tries once more.
   */
  async function pin(userId: string, conversationId: string): Promise<void> {
    if (await deps.conversations.pin(userId, conversationId, deps.maxPinned)) return;
    const pinned = await deps.conversations.listPinned(userId);
    const current = new Set(
      (await deps.conversations.getMemberships(userId, pinned)).map((m) => m.conversationId),
    );
    const stale = pinned.filter((id) => !current.has(id));
    if (stale.length > 0) {
      await deps.conversations.unpin(userId, stale);
      if (await deps.conversations.pin(userId, conversationId, deps.maxPinned)) return;
    }
    throw new LimitReachedError(
      'pinnedConversations',
      deps.maxPinned,
      `You can pin up to ${deps.maxPinned} chats; unpin one first`,
    );
  }
}

/** Epoch ms to store, `null` to unmute, `undefined` to leave as it is. */
function mutedUntilOf(mutedUntil: string | null | undefined, now: number): number | null | undefined {
  if (mutedUntil === undefined || mutedUntil === null) return mutedUntil;
  const until = Date.parse(mutedUntil);
  return until > now ? until : null;
}
