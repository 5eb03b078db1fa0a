import type { Liveness } from '../../functions/chat/connection/liveness';
/**
 * Arrangements shared by the unit tests of `functions/chat`: every in-memory
 * adapter in one call, and the few writes that put a conversation, its log,
 * a friendship or a device in place. Personas, ids and times stay in each
 * test file; these helpers only take them as arguments.
 */

import { InMemoryAccountDirectory } from '../../functions/adapters/memory/memory-account-directory';
import { InMemoryAttachmentObjects } from '../../functions/adapters/memory/memory-attachment-objects';
import { InMemoryAttachmentStore } from '../../functions/adapters/memory/memory-attachment-store';
import { InMemoryBackupObjects } from '../../functions/adapters/memory/memory-backup-objects';
import { InMemoryBackupStore } from '../../functions/adapters/memory/memory-backup-store';
import { InMemoryBlobQuota } from '../../functions/adapters/memory/memory-blob-quota';
import { InMemoryBlobStore } from '../../functions/adapters/memory/memory-blob-store';
import { InMemoryConnectionStore } from '../../functions/adapters/memory/memory-connection-store';
import { InMemoryConversationStore } from '../../functions/adapters/memory/memory-conversation-store';
import { InMemoryFanoutQueue } from '../../functions/adapters/memory/memory-fanout-queue';
import { InMemoryHistoryTransferStore } from '../../functions/adapters/memory/memory-history-transfer-store';
import { InMemoryMessageLog } from '../../functions/adapters/memory/memory-message-log';
import { InMemoryMetrics } from '../../functions/adapters/memory/memory-metrics';
import { InMemoryNotifier } from '../../functions/adapters/memory/memory-notifier';
import { InMemoryProfileStore } from '../../functions/adapters/memory/memory-profile-store';
import { InMemoryPushQueue } from '../../functions/adapters/memory/memory-push-queue';
import { InMemoryRateLimiter } from '../../functions/adapters/memory/memory-rate-limiter';
import { InMemoryRelationshipStore } from '../../functions/adapters/memory/memory-relationship-store';
import { InMemoryTokenVerifier } from '../../functions/adapters/memory/memory-token-verifier';
import { type Caps, capsWith } from '../../functions/caps';
import { directConversationId } from '../../functions/chat/conversation/direct-conversation';
import type { ConnectionStore, PresenceChange } from '../../functions/ports/connection-store';
import type {
  Conversation,
  ConversationKind,
  ConversationStore,
} from '../../functions/ports/conversation-store';
import { type AppendResult, FRIENDSHIP_ENDED, type MessageLog } from '../../functions/ports/message-log';
import type { Profile } from '../../functions/ports/profile-store';
import type { RateLimit, RateLimitedAction } from '../../functions/ports/rate-limiter';
import type { RelationshipStore } from '../../functions/ports/relationship-store';
import type { Account } from '../../functions/ports/user-directory';
import { DEFAULT_RATE_LIMITS } from '../../functions/rate-limits';
import { IDLE_TIMEOUT_IN_SECONDS, MAX_CONNECTION_DURATION_IN_SECONDS } from '../../shared/protocol/limits';
import type { FriendState } from '../../shared/protocol/resources';

/** Every in-memory adapter, fresh and empty unless seeded, with a clock and a rate limiter. */
export interface MemoryDeps {
  readonly accounts: InMemoryAccountDirectory;
  readonly attachments: InMemoryAttachmentStore;
  readonly attachmentObjects: InMemoryAttachmentObjects;
  /** Profile pictures' objects. */
  readonly avatarObjects: InMemoryAttachmentObjects;
  /** Counts against `caps.attachmentBytesPerUserPerDay`. */
  readonly attachmentQuota: InMemoryBlobQuota;
  readonly blobs: InMemoryBlobStore;
  /** Encrypted history backups: heads, chunk records, usage. */
  readonly backups: InMemoryBackupStore;
  readonly backupObjects: InMemoryBackupObjects;
  /** Counts against `caps.blobBytesPerUserPerDay`. */
  readonly blobQuota: InMemoryBlobQuota;
  readonly connections: InMemoryConnectionStore;
  /** A deleted account's marks: kept by the connection store, on the presence record. */
  readonly marks: InMemoryConnectionStore;
  readonly conversations: InMemoryConversationStore;
  readonly fanout: InMemoryFanoutQueue;
  readonly historyTransfers: InMemoryHistoryTransferStore;
  /** History transfers' chunk objects. */
  readonly historyChunkObjects: InMemoryAttachmentObjects;
  /** Web Push jobs the fan-out sender queued. */
  readonly pushes: InMemoryPushQueue;
  readonly messages: InMemoryMessageLog;
  /** What the use cases counted (messages stored). */
  readonly metrics: InMemoryMetrics;
  readonly notifier: InMemoryNotifier;
  readonly profiles: InMemoryProfileStore;
  readonly relationships: InMemoryRelationshipStore;
  readonly tokens: InMemoryTokenVerifier;
  readonly rateLimiter: InMemoryRateLimiter;
  readonly caps: Caps;
  readonly clock: () => number;
  /** A timer: with `vi.useFakeTimers`, it ends as the test advances the clock. */
  readonly sleep: (ms: number) => Promise<void>;
  /** API Gateway's 10-minute idle timeout. */
  readonly liveness: Liveness;
}

export interface MemoryDepsOptions {
  /** Profiles stored from the start. */
  readonly profiles?: readonly Profile[];
  /** Identity-provider accounts, by user name. */
  readonly accounts?: Readonly<Record<string, Account>>;
  /** Allowances replacing `DEFAULT_RATE_LIMITS`, per action. */
  readonly limits?: Partial<Record<RateLimitedAction, RateLimit>>;
  /** Caps replacing `DEFAULT_CAPS`. */
  readonly caps?: Partial<Caps>;
}

/**
 * Fresh in-memory adapters for one test. The clock reads `Date.now()` at each
 * call, so `vi.useFakeTimers` and `vi.advanceTimersByTime` move it. The result
 * can be handed whole to any use case: each takes the adapters it needs.
 */
export function memoryDeps(options: MemoryDepsOptions = {}): MemoryDeps {
  const caps = capsWith(options.caps);
  const connections = new InMemoryConnectionStore();
  return {
    accounts: new InMemoryAccountDirectory(options.accounts),
    attachments: new InMemoryAttachmentStore(),
    attachmentObjects: new InMemoryAttachmentObjects(),
    attachmentQuota: new InMemoryBlobQuota(caps, 'attachmentBytesPerUserPerDay'),
    avatarObjects: new InMemoryAttachmentObjects('avatars'),
    blobs: new InMemoryBlobStore(),
    backups: new InMemoryBackupStore(),
    backupObjects: new InMemoryBackupObjects(),
    blobQuota: new InMemoryBlobQuota(caps, 'blobBytesPerUserPerDay'),
    connections,
    marks: connections,
    conversations: new InMemoryConversationStore(),
    fanout: new InMemoryFanoutQueue(),
    historyTransfers: new InMemoryHistoryTransferStore(),
    historyChunkObjects: new InMemoryAttachmentObjects('history'),
    pushes: new InMemoryPushQueue(),
    messages: new InMemoryMessageLog(),
    metrics: new InMemoryMetrics(),
    notifier: new InMemoryNotifier(),
    profiles: new InMemoryProfileStore(options.profiles),
    relationships: new InMemoryRelationshipStore(),
    tokens: new InMemoryTokenVerifier(),
    rateLimiter: rateLimiterWith(options.limits),
    caps,
    clock: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    liveness: { idleTimeoutMs: IDLE_TIMEOUT_IN_SECONDS * 1000 },
  };
}

/**
 * A rate limiter with `DEFAULT_RATE_LIMITS` but for `limits`, e.g. a strict
 * one that lets a single `write` through: `rateLimiterWith({ write: { limit: 1, windowSeconds: 60 } })`.
 */
export function rateLimiterWith(
  limits: Partial<Record<RateLimitedAction, RateLimit>> = {},
): InMemoryRateLimiter {
  return new InMemoryRateLimiter({ ...DEFAULT_RATE_LIMITS, ...limits });
}

export interface ConversationSeed {
  readonly conversationId: string;
  readonly kind: ConversationKind;
  readonly memberIds: readonly string[];
  /** Members given the admin role; every other one is a plain member. None by default. */
  readonly admins?: readonly string[];
  /** A group's name; none by default. */
  readonly name?: string;
  /** The creator; the first member by default. */
  readonly createdBy?: string;
  /** Epoch ms of the creation, and of every member's joining. */
  readonly now: number;
}

/**
 * Stores a conversation at version 1 (members version 1) with a membership per member, each with
 * no marks yet, straight through the store (no use case, no fan-out).
 */
export async function seedConversation(
  conversations: ConversationStore,
  seed: ConversationSeed,
): Promise<Conversation> {
  const { conversationId, kind, memberIds, admins = [], name, now } = seed;
  return conversations.createIfAbsent(
    {
      conversationId,
      kind,
      ...(name === undefined ? {} : { name }),
      memberIds,
      createdBy: seed.createdBy ?? (memberIds[0] as string),
      createdAt: now,
      version: 1,
      membersVersion: 1,
    },
    memberIds.map((userId) => ({
      conversationId,
      userId,
      role: admins.includes(userId) ? 'admin' : 'member',
      joinedAt: now,
      delivered: 0,
      read: 0,
      readContentCount: 0,
    })),
  );
}

/**
 * A value for each seeded message, from the `seq` it takes (the log's head
 * plus its place in this call) and its 0-based `index` in this call.
 */
type PerMessage<T> = (seq: number, index: number) => T;

export interface SeedMessagesOptions {
  /** The body's text; `'x'` by default. */
  readonly body?: string | PerMessage<string>;
  /** The message id; `m<seq>` by default, so ids never repeat within a conversation. */
  readonly messageId?: PerMessage<string>;
}

/**
 * Appends `count` plain messages to a conversation's log, one after another,
 * after whatever it holds. `senderId` may list senders who take turns, the
 * first sending the message at seq 1; `now` may differ per message.
 */
export async function seedMessages(
  messages: MessageLog,
  conversationId: string,
  senderId: string | readonly string[],
  count: number,
  now: number | PerMessage<number>,
  options: SeedMessagesOptions = {},
): Promise<AppendResult[]> {
  const senders = typeof senderId === 'string' ? [senderId] : senderId;
  const head = (await messages.heads([conversationId])).get(conversationId)?.seq ?? 0;
  const results: AppendResult[] = [];
  for (let index = 0; index < count; index += 1) {
    const seq = head + index + 1;
    const { body = 'x', messageId = (at: number) => `m${at}` } = options;
    results.push(
      await messages.append({
        conversationId,
        messageId: messageId(seq, index),
        senderId: senders[(seq - 1) % senders.length] as string,
        kind: 'message',
        body: Buffer.from(typeof body === 'string' ? body : body(seq, index)),
        now: typeof now === 'number' ? now : now(seq, index),
      }),
    );
  }
  return results;
}

/** Makes `userId` and `otherId` friends on both sides, since `now`. */
export function befriend(
  relationships: RelationshipStore,
  userId: string,
  otherId: string,
  now: number,
): Promise<void> {
  return putFriendPair(relationships, userId, otherId, ['friend', 'friend'], now);
}

/**
 * Stores that `userId` blocks `blockedId` as blocking does: their direct conversation closed by the
 * block and by the friendship it ends, then the block.
 */
export async function seedBlock(
  deps: { relationships: RelationshipStore; messages: Pick<MessageLog, 'setClosed'> },
  userId: string,
  blockedId: string,
  now: number,
): Promise<void> {
  const conversationId = directConversationId(userId, blockedId);
  await deps.messages.setClosed(conversationId, userId, true);
  await deps.messages.setClosed(conversationId, FRIENDSHIP_ENDED, true);
  await deps.relationships.block({ userId, blockedId, since: now });
}

/** Leaves a friend request from `userId` to `otherId` pending: outgoing for one, incoming for the other. */
export function requestFriendship(
  relationships: RelationshipStore,
  userId: string,
  otherId: string,
  now: number,
): Promise<void> {
  return putFriendPair(relationships, userId, otherId, ['outgoing', 'incoming'], now);
}

function putFriendPair(
  relationships: RelationshipStore,
  userId: string,
  otherId: string,
  [state, otherState]: readonly [FriendState, FriendState],
  since: number,
): Promise<void> {
  return relationships.putFriendPair(
    { userId, otherId, state, since },
    { userId: otherId, otherId: userId, state: otherState, since },
  );
}

/** Records a device connected at `now`, kept as long as API Gateway keeps a WebSocket open. */
export function connectDevice(
  connections: ConnectionStore,
  userId: string,
  connectionId: string,
  now: number,
): Promise<PresenceChange> {
  return connections.put(
    { userId, connectionId, connectedAt: now },
    now + MAX_CONNECTION_DURATION_IN_SECONDS * 1000,
  );
}
