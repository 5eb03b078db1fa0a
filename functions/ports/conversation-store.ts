import type { ConversationKind, MemberRole } from '../../shared/protocol/resources';

export type { ConversationKind, MemberRole };

export interface Conversation {
  readonly conversationId: string;
  readonly kind: ConversationKind;
  /** Groups only. */
  readonly name?: string;
  /** Current members; the one list fan-out reads. */
  readonly memberIds: readonly string[];
  readonly createdBy: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Bumped by every change of members or name; changes are conditional on it. */
  readonly version: number;
  /**
   * Bumped only by a change that adds or removes members; 1 at creation. MLS
   * commits say which member list they bring the group in line with.
   */
  readonly membersVersion: number;
}

/** A user's place in a conversation, with their receipt marks. */
export interface Membership {
  readonly conversationId: string;
  readonly userId: string;
  readonly role: MemberRole;
  /** Epoch ms. */
  readonly joinedAt: number;
  /** Highest `seq` that reached one of the member's devices. */
  readonly delivered: number;
  /** Highest `seq` the member read. */
  readonly read: number;
  /** Content messages (all but commits) up to `read`: unread = the log's count minus this. */
  readonly readContentCount: number;
  /**
   * The marks other members see, when they are behind the member's own: marks moved while a direct
   * conversation was closed (a block, or no longer friends) are the member's alone (`hidden`).
   * @default the member's own `delivered` and `read`
   */
  readonly shown?: { readonly delivered: number; readonly read: number };
  /** The member's own settings (pinning is kept per user: `listPinned`); each absent when unset. */
  readonly archived?: true;
  /** Epoch ms: muted until then. */
  readonly mutedUntil?: number;
  readonly markedUnread?: true;
}

/** A change of a member's own settings: only the fields given change; `null` or `false` unsets. */
export interface SettingsChange {
  readonly archived?: boolean;
  /** Epoch ms, or `null` to unmute. */
  readonly mutedUntil?: number | null;
  readonly markedUnread?: boolean;
}

export interface MembershipChange {
  readonly add?: readonly Membership[];
  readonly remove?: readonly string[];
  /** New roles of remaining members (an admin leaving hands the role on). */
  readonly roles?: Readonly<Record<string, MemberRole>>;
  readonly name?: string;
  /**
   * The `groupsPerUser` cap on each added member of a group: a change adding a user who is in this
   * many groups already is refused whole with `LimitReachedError`. Unset: not checked.
   */
  readonly groupsPerUser?: number;
}

/** What `createIfAbsent` checks besides. */
export interface CreateOptions {
  /** The `groupsPerUser` cap on each member of a new group, as in `MembershipChange`. */
  readonly groupsPerUser?: number;
}

/** Marks to move forward: a read mark always with the content count at it. */
export type MarkAdvance =
  | { readonly delivered?: number; readonly read?: undefined; readonly readContentCount?: undefined }
  | { readonly delivered?: number; readonly read: number; readonly readContentCount: number };

/** Conversations and their memberships. */
/** The creator a conversation names once its creator deleted their account. */
export const DELETED_CREATOR = 'deleted-account';

export interface ConversationStore {
  get(conversationId: string): Promise<Conversation | undefined>;
  /** The conversations of these ids that exist, in no particular order. */
  getMany(conversationIds: readonly string[]): Promise<Conversation[]>;
  /** The user's membership, when they are a current member (strongly consistent). */
  getMembership(conversationId: string, userId: string): Promise<Membership | undefined>;
  /**
   * Creates the conversation and its memberships; a repeat call is a no-op returning the stored one.
   * `created` is set only for the one call that created it, even among racing calls. A group is
   * counted in each member's groups (the `groupsPerUser` cap): with `options.groupsPerUser`, a group
   * with a member who is full is refused with `LimitReachedError` naming them, and nothing is stored.
   */
  createIfAbsent(
    conversation: Conversation,
    members: readonly Membership[],
    options?: CreateOptions,
  ): Promise<Conversation & { readonly created?: true }>;
  /**
   * Applies a change if the conversation is still at `expectedVersion`;
   * throws `ConflictError` when another change came first. In a group, added members are counted
   * in their groups and removed ones no longer (see `MembershipChange.groupsPerUser`).
   */
  change(conversationId: string, expectedVersion: number, change: MembershipChange): Promise<Conversation>;
  /** Current members with their roles and marks. */
  listMembers(conversationId: string): Promise<Membership[]>;
  /** Ids of every conversation the user is a member of (eventually consistent). */
  listConversationIdsOf(userId: string): Promise<string[]>;
  /**
   * Up to `limit` ids of the user's conversations in id order, those after `after` (eventually
   * consistent); `next`, the last id given, when more follow. Reads at most `limit + 1` index entries.
   */
  pageConversationIdsOf(
    userId: string,
    limit: number,
    after?: string,
  ): Promise<{ readonly ids: string[]; readonly next?: string }>;
  /** How many groups the user is counted in (what `groupsPerUser` is checked against). */
  countGroupsOf(userId: string): Promise<number>;
  /** The user's memberships, with their marks, in those of these conversations where they are a member (in no particular order). */
  getMemberships(userId: string, conversationIds: readonly string[]): Promise<Membership[]>;
  /**
   * Moves the marks forward, never back; returns the marks now stored.
   * `readContentCount` (the log's `contentCount` at `read`) moves with `read`.
   */
  /**
   * Moves marks forward, never back. `hidden`: only the member sees them move (their `shown` marks stay
   * where they were); a later move that is not hidden shows the member's marks again.
   */
  advanceMarks(
    conversationId: string,
    userId: string,
    marks: MarkAdvance,
    options?: { readonly hidden?: boolean },
  ): Promise<Membership>;
  /** Changes the member's own settings; `undefined` when the user is not a member. */
  changeSettings(
    conversationId: string,
    userId: string,
    change: SettingsChange,
  ): Promise<Membership | undefined>;
  /**
   * Ids of the conversations the user pinned, in no particular order. It may still name conversations
   * the user has left since: read them with the user's memberships.
   */
  listPinned(userId: string): Promise<string[]>;
  /**
   * Pins the conversation for the user, in one conditional write: `false` (and nothing stored) when the
   * user has `limit` pinned already and this is not one of them. Pinning again is a no-op.
   */
  pin(userId: string, conversationId: string, limit: number): Promise<boolean>;
  /** Unpins these conversations for the user; ones not pinned are no error. */
  unpin(userId: string, conversationIds: readonly string[]): Promise<void>;
  /**
   * Names no one as the conversation's creator any more when `userId` is (a deleted account): the id
   * stays in no conversation it left. Not a member change: no version moves.
   */
  forgetCreator(conversationId: string, userId: string): Promise<void>;
  /**
   * Moves the read mark (with the content count at it) forward, never back, in one write; `false` when it
   * was as far already, or the user is not a member. Delivery goes with it: a membership read back
   * never reports `delivered` below `read`.
   */
  raiseReadMark(
    conversationId: string,
    userId: string,
    read: number,
    readContentCount: number,
  ): Promise<boolean>;
}

/**
 * The member list a change leads to, and who it adds: removals first, then
 * additions not already present (each user once). Both stores apply it alike.
 */
export function applyMembershipChange(memberIds: readonly string[], change: MembershipChange) {
  const removed = new Set(change.remove ?? []);
  const remaining = memberIds.filter((userId) => !removed.has(userId));
  const added = [
    ...new Map((change.add ?? []).map((member) => [member.userId, member] as const)).values(),
  ].filter((member) => !remaining.includes(member.userId));
  const next = [...remaining, ...added.map((member) => member.userId)];
  // A removal and re-addition of the same user is still a new member list for MLS.
  const membersChanged = added.length > 0 || remaining.length < memberIds.length;
  return { removed, added, memberIds: next, membersChanged };
}
