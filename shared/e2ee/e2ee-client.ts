import type { RouteResponse } from '../api/route-responses';
import type { RouteRequest, Routes } from '../api/routes';
import { type ApiClient, ApiError, allPages } from '../client/api-client';
import { ErrorCode } from '../protocol/errors';
import type { SendableMessageKindSchema } from '../protocol/ids';
import { epochOfCommitMessageId } from '../protocol/ids';
import type { PushFrame } from '../protocol/outbound';
import { type ConversationEvent, type MessageEnvelope, parseConversationEvent } from '../protocol/resources';
import type * as z from '../zod';
import { fromBase64, toBase64 } from './base64';
import { DeviceVault, type HeldKeyPackage } from './device-vault';
import { DeviceRevokedError, E2eeError, GroupStateError, StateStoreError } from './errors';
import { type GroupMember, GroupSession, type PendingCommit } from './group-session';
import { DIRECTORY_TTL_IN_MS, HttpDirectory } from './http-directory';
import { type DeviceAddress, deviceKeyOf } from './identity';
import { deviceSetFingerprint, safetyNumber } from './safety-number';
import type { StateStore } from './state-store';

type SendableMessageKind = z.infer<typeof SendableMessageKindSchema>;
type MessageAck = RouteResponse<'postMessage'>;
type MessageBody = RouteRequest<Routes['postMessage']>['body'];
/** A commit the log stored, and when. */
type Accepted = { readonly storedAt: number };

/**
 * Posts an encrypted message to a conversation and resolves with the server's answer; throws `ApiError`
 * for a refusal. A retry with the same `messageId` returns the first answer.
 */
export type PostMessage = (conversationId: string, body: MessageBody) => Promise<MessageAck>;

/** The kind of a log entry that carries an MLS commit (its id is `commit-{epoch}`: see `epochOfCommitMessageId`). */
const COMMIT_KIND = 'commit';

/** Key package stock: top up to `target` when fewer than `low` are left on the server. */
export const KEY_PACKAGE_LOW_WATER = 10;
export const KEY_PACKAGE_TARGET = 40;

/** How often a device refreshes its own leaf in each group (post-compromise security). */
export const SELF_UPDATE_INTERVAL_IN_MS = 7 * 24 * 60 * 60 * 1000;

/** How many times a commit is rebuilt after losing its epoch to another member's. */
const COMMIT_ATTEMPTS = 5;

/** How long `send` polls for a Welcome when another member's commit is adding this device: 0.1 s … 1.6 s. */
const WELCOME_WAIT_FIRST_IN_MS = 100;
const WELCOME_WAIT_LAST_IN_MS = 1600;

/** The same limit as the server's claim route. */
const CLAIM_BATCH = 50;

/** The device is not (yet) in the conversation's group: another member's commit must add it first. */
export class NotInGroupError extends E2eeError {
  constructor(message: string) {
    super(message);
    this.name = 'NotInGroupError';
  }
}

/** Something the log held, as this device sees it. */
export type ChatEvent =
  | {
      readonly kind: 'message';
      readonly conversationId: string;
      readonly seq: number;
      readonly messageId: string;
      readonly senderId: string;
      /** `undefined` for this device's own messages read back from the log. */
      readonly senderDeviceId: string | undefined;
      readonly sentAt: string;
      readonly messageKind: SendableMessageKind;
      readonly refSeq?: number;
      readonly plaintext: Uint8Array;
      /** Sent by this device. */
      readonly own: boolean;
    }
  | {
      /** A message this device cannot read: see {@link UndecryptableReason}. */
      readonly kind: 'undecryptable';
      readonly conversationId: string;
      readonly seq: number;
      readonly messageId: string;
      readonly senderId: string;
      readonly reason: UndecryptableReason;
    }
  | { readonly kind: 'deleted'; readonly conversationId: string; readonly seq: number }
  | {
      /**
       * A change of the group the server logged (members added, removed or gone, a new name, a new admin):
       * not encrypted, the same for every member at the same `seq`. See `ConversationEvent`.
       */
      readonly kind: 'group-event';
      readonly conversationId: string;
      readonly seq: number;
      readonly messageId: string;
      readonly senderId: string;
      readonly sentAt: string;
      readonly event: ConversationEvent;
    }
  | {
      /**
       * A commit this device refused and skipped: it adds a device the directory does not vouch for, or is
       * not a valid commit for the group (garbage, truncated, replayed). Every honest device skips it alike,
       * so the group goes on without it; whoever made it is left behind in a group of their own.
       */
      readonly kind: 'refused-commit';
      readonly conversationId: string;
      readonly seq: number;
      readonly epoch: number;
      readonly senderId: string;
      readonly reason: string;
    }
  | {
      /** A commit changed the group's devices (or only its keys). */
      readonly kind: 'membership';
      readonly conversationId: string;
      readonly seq: number;
      readonly epoch: number;
      readonly added: readonly DeviceAddress[];
      readonly removed: readonly DeviceAddress[];
      /** This device was removed: it reads nothing new until a commit adds it again. */
      readonly removedSelf: boolean;
    };

/**
 * Why a device cannot read a message:
 * - `before-join`: sent before this device first joined the group (a new browser, or a member added later);
 * - `not-member`: sent while this device was out of the group it had been in (its user was removed and
 *   added back): a gap in membership, not a late device;
 * - `rejected`: refused (garbage, tampered, forged, replayed).
 */
export type UndecryptableReason = 'before-join' | 'not-member' | 'rejected';

/** A safety number and what it was computed from on the contact's side. */
export interface Verification {
  /** The 60-digit number over both users' device keys: both sides show the same one. */
  readonly safetyNumber: string;
  /**
   * A fingerprint of the contact's device keys alone (see `deviceSetFingerprint`): kept when the number is
   * compared, it tells whether the *contact's* devices changed since, whatever happened to mine.
   */
  readonly contactDevices: string;
}

/** Where one conversation stands on this device, stored beside its MLS state. */
interface Cursor {
  /** The last log `seq` processed. */
  seq: number;
  /**
   * The server's epoch this device's next commit is for: one more than the last commit processed in the
   * log (refused ones included), so it can run ahead of the MLS epoch.
   */
  slot?: number;
  /** The server epoch this device joined at (0 when it created the group); absent when not in the group. */
  joinedSlot?: number;
  /** The `seq` of the commit that added this device (0 when it created the group), once seen. */
  joinedSeq?: number;
  /**
   * The last `seq` this device had read when it was removed from the group; kept when it joins again, so
   * what was sent in between reads as `not-member`, not `before-join`.
   */
  leftSeq?: number;
  /** When this device last committed its own new leaf keys (epoch ms). */
  updatedAt?: number;
}

interface Conversation {
  session: GroupSession | undefined;
  cursor: Cursor;
  /** Plaintexts of this device's own messages by message id: MLS cannot decrypt one's own messages. */
  own: Map<string, string>;
  /** When the group last matched the server's members and directory (memory only), and the directory's generation then. */
  checked?: { at: number; generation: number };
  /** The highest seq a push announced (memory only): the log is read until the cursor reaches it. */
  announced?: number;
  /** A commit this device posted whose answer it may not have stored (see `writeAhead`). */
  ahead?: Ahead;
}

/**
 * A commit this device is posting, stored before the post: the epoch it is for, its SHA-256, whether it
 * founds the group, and the group state it leads to. Should the app stop after the server stored the commit
 * and before the device stored that state (a tab closed), the device would hold no state for a commit the
 * other members applied: its own commit it cannot read back, and for a group it founded, a Welcome never
 * comes. Instead it takes the state from here once the log shows that very commit stored.
 */
interface Ahead {
  readonly slot: number;
  readonly hash: string;
  readonly created: boolean;
  readonly session: GroupSession;
}

/** SHA-256 of a commit, base64: what tells this device's own commit in the log from a rival's. */
async function commitHashOf(commit: Uint8Array): Promise<string> {
  return toBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(commit))));
}

/**
 * Waits before reading the log again when it stopped short of a seq a push announced: the seq before it
 * is still being written (milliseconds), or its writer died and the server fills it after its deadline.
 */
const CATCH_UP_DELAYS_IN_MS = [100, 250, 500, 1000, 2000, 4000, 8000, 15_000, 30_000];

export interface E2eeClientOptions {
  readonly api: ApiClient;
  readonly userId: string;
  readonly deviceId: string;
  /** One store per device; wrap it in an `EncryptedStateStore` outside tests. */
  readonly store: StateStore;
  /** A display name for the device list. */
  readonly deviceName?: string;
  /**
   * Called with everything the device reads, whichever call read it (a push, a sync, its own send), and
   * awaited before the device stores its state past them: an app that keeps what it shows (history) does so
   * here, and a device stopped in between reads the same entries again (same `seq`) rather than losing them.
   */
  readonly onEvents?: (events: readonly ChatEvent[]) => void | Promise<void>;
  /**
   * How messages are posted. By default `POST /conversations/{id}/messages`; an app with an open WebSocket
   * sends a `send` frame there instead, so no copy of the message is pushed back to it.
   */
  readonly postMessage?: PostMessage;
  /**
   * Called when another of the user's devices revoked this one: every group removes it, and it can neither
   * register again nor upload key packages. Its owner should forget its state.
   */
  readonly onRevoked?: () => void;
  readonly clock?: () => number;
}

const encodeJson = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decodeJson = <T>(bytes: Uint8Array): T => JSON.parse(new TextDecoder().decode(bytes)) as T;

/**
 * One device's end-to-end encryption, driving the server's MLS routes: it registers the device, keeps its
 * key package stock, keeps one MLS group per conversation in step with the server's ordered log and member
 * list, and encrypts and decrypts messages. The server only ever receives ciphertext.
 *
 * Work on one conversation is serialized; different conversations proceed in parallel.
 *
 * @example
 * const e2ee = await E2eeClient.open({ api, userId, deviceId: 'laptop', store });
 * await e2ee.send(conversationId, new TextEncoder().encode('hi'));
 * socket.onmessage = async (m) => render(await e2ee.handlePush(parseOutboundFrame(m.data)));
 */
export class E2eeClient {
  readonly directory: HttpDirectory;
  private readonly conversations = new Map<string, Promise<Conversation>>();
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Conversations waiting to read the log again, with how many times they have waited. */
  private readonly catchingUp = new Map<string, { timer: ReturnType<typeof setTimeout>; attempt: number }>();

  private constructor(
    private readonly api: ApiClient,
    private readonly vault: DeviceVault,
    private readonly store: StateStore,
    private readonly clock: () => number,
    private readonly onEvents: (events: readonly ChatEvent[]) => void | Promise<void>,
    private readonly onRevoked: () => void,
    private readonly post: PostMessage,
  ) {
    this.directory = new HttpDirectory(api, clock);
  }

  /** Opens (or creates) the device in `store`, registers it, and tops up its key packages. */
  static async open(options: E2eeClientOptions): Promise<E2eeClient> {
    const vault = await DeviceVault.open(options.store, options.userId, options.deviceId);
    const client = new E2eeClient(
      options.api,
      vault,
      options.store,
      options.clock ?? Date.now,
      options.onEvents ?? (() => undefined),
      options.onRevoked ?? (() => undefined),
      options.postMessage ??
        ((conversationId, body) => options.api.postMessage({ params: { conversationId }, body })),
    );
    const registered = await options.api.registerDevice({
      body: {
        deviceId: options.deviceId,
        signaturePublicKey: toBase64(vault.device.signaturePublicKey),
        ...(options.deviceName === undefined ? {} : { name: options.deviceName }),
      },
    });
    if (registered.revoked) throw new DeviceRevokedError(`Device ${options.deviceId} was revoked`);
    await client.topUpKeyPackages();
    return client;
  }

  /** This device. */
  get self(): DeviceAddress {
    return { userId: this.vault.device.userId, deviceId: this.vault.device.deviceId };
  }

  get signaturePublicKey(): Uint8Array {
    return this.vault.device.signaturePublicKey;
  }

  /**
   * Uploads fresh key packages when fewer than {@link KEY_PACKAGE_LOW_WATER} are left on the server, and a
   * last-resort one when there is none. Returns how many were uploaded.
   */
  async topUpKeyPackages(): Promise<number> {
    const { deviceId } = this.self;
    const count = await this.api.countKeyPackages({ params: { deviceId } });
    const needLastResort = !count.lastResort || !this.vault.hasLastResort;
    const missing = count.remaining < KEY_PACKAGE_LOW_WATER ? KEY_PACKAGE_TARGET - count.remaining : 0;
    if (missing === 0 && !needLastResort) return 0;
    const made = await this.vault.makeKeyPackages(Math.max(missing, 1), needLastResort);
    const lastResort = made.find((p) => p.lastResort);
    await this.api.uploadKeyPackages({
      params: { deviceId },
      body: {
        keyPackages: made.filter((p) => !p.lastResort).map((p) => toBase64(p.publicBytes)),
        ...(lastResort === undefined ? {} : { lastResort: toBase64(lastResort.publicBytes) }),
      },
    });
    return made.length;
  }

  /**
   * The safety number with a contact, from both users' current (not revoked) device keys as the directory
   * lists them now: compare it with theirs over another channel. It changes when either adds or revokes a
   * device.
   */
  async safetyNumberWith(contactUserId: string): Promise<string> {
    return (await this.verificationWith(contactUserId)).safetyNumber;
  }

  /**
   * The safety number with a contact (as {@link safetyNumberWith}) and a fingerprint of the contact's
   * devices alone. An app warns that a contact's number changed by comparing the fingerprint it kept
   * with the new one: my own new device changes every number but no contact's fingerprint.
   */
  async verificationWith(contactUserId: string): Promise<Verification> {
    const keys = async (userId: string) =>
      (await this.directory.devicesOf(userId, { fresh: true }))
        .filter((d) => !d.revoked)
        .map((d) => d.signaturePublicKey);
    const [mine, theirs] = await Promise.all([keys(this.self.userId), keys(contactUserId)]);
    const [number, contactDevices] = await Promise.all([
      safetyNumber(mine, theirs),
      deviceSetFingerprint(theirs),
    ]);
    return { safetyNumber: number, contactDevices };
  }

  /** The group's member devices as this device's MLS state has them; empty when not in the group. */
  async members(conversationId: string): Promise<GroupMember[]> {
    return (await this.conversation(conversationId)).session?.members() ?? [];
  }

  /** The group's epoch on this device; `undefined` when not in the group. */
  async epoch(conversationId: string): Promise<number | undefined> {
    const session = (await this.conversation(conversationId)).session;
    return session === undefined ? undefined : Number(session.epoch);
  }

  /**
   * Reads the log from where this device stopped, joining from a Welcome first when it is not in the
   * group, and returns what it found in `seq` order.
   */
  sync(conversationId: string): Promise<ChatEvent[]> {
    return this.serial(conversationId, () => this.syncNow(conversationId));
  }

  /**
   * Handles a push: messages in order (a gap or a `message-ref` reads the log instead), Welcomes for this
   * device, membership and device changes (the group is brought in line with the server).
   */
  async handlePush(frame: PushFrame): Promise<ChatEvent[]> {
    switch (frame.type) {
      case 'message':
        return this.serial(frame.conversationId, async () => {
          const state = await this.conversation(frame.conversationId);
          if (frame.seq <= state.cursor.seq) return [];
          state.announced = Math.max(state.announced ?? 0, frame.seq);
          if (frame.seq === state.cursor.seq + 1 && state.session !== undefined) {
            const events = await this.process(frame.conversationId, state, [frame]);
            // Later seqs pushed before this one (sends overtake each other) are read from the log.
            if (state.announced <= state.cursor.seq) return events;
            return [...events, ...(await this.syncNow(frame.conversationId))];
          }
          return this.syncNow(frame.conversationId);
        });
      case 'message-ref':
        return this.sync(frame.conversationId);
      case 'welcome':
        return frame.deviceId === this.self.deviceId ? this.sync(frame.conversationId) : [];
      case 'conversation': {
        const stillMember = frame.memberIds.includes(this.self.userId);
        if (!stillMember) {
          await this.serial(frame.conversationId, () => this.forgetGroup(frame.conversationId));
          return [];
        }
        const events = await this.sync(frame.conversationId);
        (await this.conversation(frame.conversationId)).checked = undefined;
        await this.reconcile(frame.conversationId);
        return events;
      }
      case 'device':
        // A new name changes no key and no group.
        if (frame.event === 'renamed') return [];
        this.directory.forget(frame.userId);
        // This device's own registration or revocation: the other devices bring the groups in line.
        if (frame.userId === this.self.userId && frame.deviceId === this.self.deviceId) {
          if (frame.event === 'revoked') this.onRevoked();
          return [];
        }
        await this.forEachConversation(async ({ conversationId, memberIds }) => {
          if (memberIds.includes(frame.userId)) await this.reconcile(conversationId);
        });
        return [];
      default:
        return [];
    }
  }

  /**
   * Brings the conversation's MLS group in line with the server: the group holds exactly the current
   * (not revoked) devices of the current members. Creates the group when the conversation has none yet,
   * adds devices that are missing (new members, a member's new device), removes those that should not be
   * there (removed members, revoked devices), and tells the server which member list the group now
   * matches. Losing the epoch to another member's commit makes it apply that one and try again.
   *
   * @returns `waiting` when this device is not in the group and another member must add it
   */
  reconcile(conversationId: string): Promise<'in-sync' | 'committed' | 'waiting'> {
    return this.serial(conversationId, () => this.reconcileNow(conversationId));
  }

  /**
   * A self-update commit (fresh keys for this device's leaf: post-compromise security), unconditionally or
   * only when this device's last one is older than {@link SELF_UPDATE_INTERVAL_IN_MS}.
   *
   * @returns whether a commit was made
   */
  selfUpdate(conversationId: string, options: { ifDue?: boolean } = {}): Promise<boolean> {
    return this.serial(conversationId, async () => {
      await this.syncNow(conversationId);
      const state = await this.conversation(conversationId);
      if (state.session === undefined) return false;
      const due = this.clock() - (state.cursor.updatedAt ?? 0) >= SELF_UPDATE_INTERVAL_IN_MS;
      if (options.ifDue === true && !due) return false;
      await this.commitWithRetry(conversationId, (session) => session.selfUpdate());
      return true;
    });
  }

  /**
   * Reconciles every conversation of the user (when the app starts, or after it missed pushes), and makes
   * the self-updates that are due. A `device` push reconciles only the conversations shared with its user.
   */
  async reconcileAll(): Promise<void> {
    await this.forEachConversation(async ({ conversationId, memberIds }) => {
      for (const userId of memberIds) this.directory.forget(userId);
      await this.reconcile(conversationId);
      await this.selfUpdate(conversationId, { ifDue: true });
    });
  }

  /** Visits the user's conversations one after another. */
  private async forEachConversation(
    visit: (conversation: { conversationId: string; memberIds: readonly string[] }) => Promise<void>,
  ): Promise<void> {
    const conversations = await allPages((cursor) =>
      this.api.listConversations({ query: { limit: 100, ...(cursor === undefined ? {} : { cursor }) } }),
    );
    for (const conversation of conversations) await visit(conversation);
  }

  /**
   * Revokes one of the user's devices (this one or another) and removes it from every group at once;
   * members who see the revocation later remove it too, whichever commits first.
   */
  async revokeDevice(deviceId: string): Promise<void> {
    await this.api.revokeDevice({ params: { deviceId } });
    this.directory.forget(this.self.userId);
    if (deviceId !== this.self.deviceId) await this.reconcileAll();
  }

  /**
   * Encrypts and sends a message. The group is synced and reconciled with the server's member list first,
   * so a member removed a moment ago cannot read it. A retry with the same `messageId` is safe.
   */
  send(
    conversationId: string,
    plaintext: Uint8Array,
    options: {
      messageId?: string;
      kind?: SendableMessageKind;
      refSeq?: number;
      /** The attachments the plaintext names (uploaded already), so the server keeps them with the message. */
      attachmentIds?: readonly string[];
    } = {},
  ): Promise<MessageAck> {
    return this.serial(conversationId, async () => {
      // The Welcome of a member's commit may be on its way: give it a moment before giving up.
      for (
        let wait = WELCOME_WAIT_FIRST_IN_MS;
        !(await this.inStep(conversationId)) && (await this.reconcileNow(conversationId)) === 'waiting';
        wait *= 2
      ) {
        if (wait > WELCOME_WAIT_LAST_IN_MS) {
          throw new NotInGroupError('This device is not in the conversation’s group yet');
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const state = await this.conversation(conversationId);
      const session = state.session;
      if (session === undefined) throw new NotInGroupError('This device is not in the conversation’s group');
      const messageId = options.messageId ?? crypto.randomUUID();
      const { session: next, message } = await session.encrypt(plaintext);
      state.session = next;
      state.own.set(messageId, toBase64(plaintext));
      await this.save(conversationId, state);
      const body = toBase64(message);
      const ack = await this.post(conversationId, {
        messageId,
        body,
        ...(options.kind === undefined ? {} : { kind: options.kind }),
        ...(options.refSeq === undefined ? {} : { refSeq: options.refSeq }),
        ...(options.attachmentIds === undefined ? {} : { attachmentIds: [...options.attachmentIds] }),
      });
      // Next in the log: read it back now (from what was sent) rather than wait for a push or a sync.
      if (ack.seq === state.cursor.seq + 1) {
        await this.process(conversationId, state, [
          {
            conversationId,
            seq: ack.seq,
            messageId,
            senderId: this.self.userId,
            sentAt: ack.sentAt,
            kind: options.kind ?? 'message',
            ...(options.refSeq === undefined ? {} : { refSeq: options.refSeq }),
            body,
          },
        ]);
      } else if (ack.seq > state.cursor.seq) {
        // Others' messages came first and their pushes are not here yet; no push of this one will come to
        // the connection that sent it (or to this device): read up to it from the log.
        state.announced = Math.max(state.announced ?? 0, ack.seq);
        await this.syncNow(conversationId);
      }
      return ack;
    });
  }

  /** Runs `task` after every earlier task of the same conversation. */
  private serial<T>(conversationId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(conversationId) ?? Promise.resolve();
    const run = previous.then(task, task);
    this.queues.set(
      conversationId,
      run.catch(() => undefined),
    );
    return run;
  }

  private async syncNow(conversationId: string): Promise<ChatEvent[]> {
    const state = await this.conversation(conversationId);
    if (
      state.session === undefined &&
      !(await this.resumeFounding(conversationId, state)) &&
      !(await this.joinFromWelcome(conversationId, state))
    ) {
      return [];
    }
    const events: ChatEvent[] = [];
    let after = state.cursor.seq;
    for (;;) {
      const page = await this.api.listMessages({ params: { conversationId }, query: { after, limit: 100 } });
      events.push(...(await this.process(conversationId, state, page.items)));
      const last = page.items.at(-1);
      if (page.next === undefined || last === undefined) break;
      after = last.seq;
      // A removal stops reading: what follows needs a new Welcome.
      if (state.session === undefined) break;
    }
    this.catchUpLater(conversationId, state);
    return events;
  }

  /**
   * A page stops before a seq that is taken but not placed yet. When a push announced more than the log
   * gave, reads it again after a growing wait, until the cursor gets there.
   */
  private catchUpLater(conversationId: string, state: Conversation) {
    const waiting = this.catchingUp.get(conversationId);
    if (waiting) clearTimeout(waiting.timer);
    if (state.session === undefined || (state.announced ?? 0) <= state.cursor.seq) {
      this.catchingUp.delete(conversationId);
      return;
    }
    const attempt = waiting?.attempt ?? 0;
    const delay = CATCH_UP_DELAYS_IN_MS[Math.min(attempt, CATCH_UP_DELAYS_IN_MS.length - 1)] as number;
    const timer = setTimeout(() => {
      void this.sync(conversationId).catch(() => undefined);
    }, delay);
    // A waiting read must not keep a process alive (a test, a command-line client).
    (timer as { unref?: () => void }).unref?.();
    this.catchingUp.set(conversationId, { timer, attempt: attempt + 1 });
  }

  /** Processes log entries in order from the cursor on, then stores the state once. */
  private async process(
    conversationId: string,
    state: Conversation,
    items: readonly MessageEnvelope[],
  ): Promise<ChatEvent[]> {
    const events: ChatEvent[] = [];
    const ahead = state.ahead;
    for (const item of items) {
      if (item.seq <= state.cursor.seq) continue;
      if (state.session === undefined) break;
      const event = await this.processOne(state, item);
      if (event !== undefined) events.push(event);
      state.cursor.seq = item.seq;
    }
    // The app keeps what it shows first: MLS keys are gone once the state is stored past them.
    if (events.length > 0) await this.onEvents(events);
    await this.save(conversationId, state);
    // Its own commit found in the log, with its state stored now: the note written ahead is done with.
    if (ahead !== undefined && state.ahead === undefined) await this.dropAhead(conversationId, state);
    return events;
  }

  private async processOne(state: Conversation, item: MessageEnvelope): Promise<ChatEvent | undefined> {
    const session = state.session;
    if (session === undefined) return undefined;
    const { conversationId, seq, messageId, senderId } = item;
    // A seq whose send never finished: nothing to read.
    if (item.kind === 'skipped') return undefined;
    if (item.kind === 'event') {
      // The server's own line: plain JSON, readable whenever this device joined. One it cannot read is left out.
      const event = item.body === undefined ? undefined : parseConversationEvent(fromBase64(item.body));
      if (event === undefined) return undefined;
      return { kind: 'group-event', conversationId, seq, messageId, senderId, sentAt: item.sentAt, event };
    }
    if (item.kind === COMMIT_KIND) {
      const epoch = epochOfCommitMessageId(messageId);
      const slot = state.cursor.slot ?? 0;
      // Commits that made the group before this device joined, and its own, are in its state already.
      if (epoch === (state.cursor.joinedSlot ?? -1) - 1 && state.cursor.joinedSeq === undefined) {
        state.cursor.joinedSeq = seq;
      }
      if (epoch < slot) return undefined;
      if (epoch > slot) {
        throw new GroupStateError(`Commit for epoch ${epoch} found while at epoch ${slot}: state is stale`);
      }
      state.cursor.slot = slot + 1;
      if (await this.isOwnAhead(state, epoch, item.body)) {
        // Its own commit, stored by the server while the app stopped before storing the state it led to.
        state.session = state.ahead?.session;
        state.ahead = undefined;
        return undefined;
      }
      let decrypted: Awaited<ReturnType<GroupSession['decrypt']>>;
      try {
        if (item.body === undefined) throw new GroupStateError('The commit has no body');
        decrypted = await session.decrypt(fromBase64(item.body), { storedAt: Date.parse(item.sentAt) });
        if (decrypted.event.kind !== 'commit') throw new GroupStateError('Not a commit');
      } catch (error) {
        if (!(error instanceof E2eeError)) throw error;
        return { kind: 'refused-commit', conversationId, seq, epoch, senderId, reason: error.message };
      }
      const { session: next, event } = decrypted;
      if (event.kind !== 'commit') return undefined;
      state.session = event.removedSelf ? undefined : next;
      if (event.removedSelf) state.cursor = { seq: state.cursor.seq, leftSeq: seq };
      for (const { userId } of [...event.added, ...event.removed]) this.directory.forget(userId);
      return {
        kind: 'membership',
        conversationId,
        seq,
        epoch: Number(event.epoch),
        added: event.added,
        removed: event.removed,
        removedSelf: event.removedSelf,
      };
    }
    if (item.body === undefined) return { kind: 'deleted', conversationId, seq };
    const base = {
      conversationId,
      seq,
      messageId,
      senderId,
      sentAt: item.sentAt,
      messageKind: item.kind as SendableMessageKind,
      ...(item.refSeq === undefined ? {} : { refSeq: item.refSeq }),
    };
    const own = state.own.get(messageId);
    if (own !== undefined && senderId === this.self.userId) {
      return { kind: 'message', ...base, senderDeviceId: undefined, plaintext: fromBase64(own), own: true };
    }
    if (state.cursor.joinedSeq === undefined || seq < state.cursor.joinedSeq) {
      // Only entries after the cursor are read: after leaving, these were all sent while out of the group.
      const reason = state.cursor.leftSeq === undefined ? 'before-join' : 'not-member';
      return { kind: 'undecryptable', conversationId, seq, messageId, senderId, reason };
    }
    try {
      const { session: next, event } = await session.decrypt(fromBase64(item.body));
      if (event.kind !== 'message' || event.senderUserId !== senderId) {
        // A commit posted as a message, or a device of one user speaking as another: refuse it.
        return { kind: 'undecryptable', conversationId, seq, messageId, senderId, reason: 'rejected' };
      }
      state.session = next;
      return {
        kind: 'message',
        ...base,
        senderDeviceId: event.senderDeviceId,
        plaintext: event.plaintext,
        own: false,
      };
    } catch (error) {
      if (!(error instanceof E2eeError)) throw error;
      return { kind: 'undecryptable', conversationId, seq, messageId, senderId, reason: 'rejected' };
    }
  }

  /** Joins from the newest Welcome waiting for this device; acknowledges every one for the conversation. */
  private async joinFromWelcome(conversationId: string, state: Conversation): Promise<boolean> {
    const { deviceId } = this.self;
    const welcomes = (
      await allPages((cursor) =>
        this.api.listWelcomes({
          params: { deviceId },
          query: { limit: 100, ...(cursor === undefined ? {} : { cursor }) },
        }),
      )
    ).filter((w) => w.conversationId === conversationId);
    welcomes.sort((a, b) => b.epoch - a.epoch);
    let joined = false;
    for (const welcome of welcomes) {
      if (!joined) {
        try {
          const { session, usedKeyPackage } = await GroupSession.join(
            this.vault.device,
            this.directory,
            fromBase64(welcome.welcome),
            this.vault.keyPackages.map((p) => p),
          );
          const used = this.vault.keyPackages[usedKeyPackage] as HeldKeyPackage;
          await this.vault.used(used);
          state.session = session;
          state.cursor = {
            seq: state.cursor.seq,
            ...(state.cursor.leftSeq === undefined ? {} : { leftSeq: state.cursor.leftSeq }),
            slot: welcome.epoch,
            joinedSlot: welcome.epoch,
            updatedAt: this.clock(),
          };
          joined = true;
          await this.save(conversationId, state);
        } catch (error) {
          if (!(error instanceof E2eeError)) throw error;
          // A Welcome this device cannot use (not for its key packages, or vouching for unknown devices).
        }
      }
      await this.api.acknowledgeWelcome({ params: { deviceId, conversationId, epoch: welcome.epoch } });
    }
    if (joined) await this.topUpKeyPackages();
    return joined;
  }

  /**
   * Whether the group is known to match the server without reconciling: checked within the directory's TTL
   * with no device change heard of since, no commit in the log this device has not applied, and no
   * server-side member change waiting for its commit. Costs one small request.
   */
  private async inStep(conversationId: string): Promise<boolean> {
    const state = await this.conversation(conversationId);
    const checked = state.checked;
    if (state.session === undefined || checked === undefined) return false;
    if (
      checked.generation !== this.directory.generation ||
      this.clock() - checked.at >= DIRECTORY_TTL_IN_MS
    ) {
      return false;
    }
    const epoch = await this.api.getEpoch({ params: { conversationId } });
    if (epoch.committedMembersVersion < epoch.membersVersion) return false;
    return epoch.epoch === state.cursor.slot;
  }

  private async reconcileNow(conversationId: string): Promise<'in-sync' | 'committed' | 'waiting'> {
    const state = await this.conversation(conversationId);
    const checked = { at: this.clock(), generation: this.directory.generation };
    const outcome = await this.reconcileOnce(conversationId);
    state.checked = outcome === 'waiting' ? undefined : checked;
    return outcome;
  }

  private async reconcileOnce(conversationId: string): Promise<'in-sync' | 'committed' | 'waiting'> {
    for (let attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
      await this.syncNow(conversationId);
      const state = await this.conversation(conversationId);
      const [conversation, epoch] = await Promise.all([
        this.api.getConversation({ params: { conversationId } }),
        this.api.getEpoch({ params: { conversationId } }),
      ]);
      const { membersVersion, committedMembersVersion: committed } = epoch;
      const wanted = await this.wantedDevices(conversation.members.map((m) => m.user.userId));
      let session = state.session;
      let created = false;
      if (session === undefined) {
        if (epoch.epoch !== 0) return 'waiting';
        // No group yet: this device founds it; if another device's founding commit wins, wait for its Welcome.
        session = await GroupSession.create(this.vault.device, this.directory);
        created = true;
      }
      const present = new Map(session.members().map((m) => [deviceKeyOf(m), m] as const));
      const remove = [...present.values()].filter(
        (m) => !wanted.has(deviceKeyOf(m)) && deviceKeyOf(m) !== deviceKeyOf(this.self),
      );
      const toAdd = [...wanted.values()].filter((d) => !present.has(deviceKeyOf(d)));
      const pendingVersion = membersVersion !== undefined && (committed ?? 0) < membersVersion;
      if (!created && remove.length === 0 && toAdd.length === 0 && !pendingVersion) return 'in-sync';
      const { keyPackages, missing } = await this.claim(toAdd);
      if (!created && remove.length === 0 && keyPackages.length === 0 && !pendingVersion) return 'in-sync';
      const pending = await session.changeMembers({
        add: keyPackages.map((k) => k.keyPackage),
        remove,
      });
      const slot = created ? 0 : (state.cursor.slot ?? 0);
      await this.writeAhead(conversationId, state, slot, pending, created);
      const outcome = await this.postCommit(conversationId, slot, pending, {
        recipients: keyPackages.map(({ userId, deviceId }) => ({ userId, deviceId })),
        ...(missing.length === 0 && membersVersion !== undefined ? { membersVersion } : {}),
      });
      if (outcome === 'lost' || outcome === 'stale') await this.dropAhead(conversationId, state);
      if (outcome === 'stale') {
        // A device it would add was revoked meanwhile: nothing was stored; look again and commit anew.
        for (const { userId } of keyPackages) this.directory.forget(userId);
        continue;
      }
      if (outcome !== 'lost' && !created && !(await pending.validAsOf(outcome.storedAt))) {
        // Every member refuses this commit (a device it adds was revoked before the log stored it): its
        // author too, keeping the session it had. The group goes on from the next epoch without it.
        state.cursor.slot = slot + 1;
        state.cursor.updatedAt = this.clock();
        await this.save(conversationId, state);
        await this.dropAhead(conversationId, state);
        continue;
      }
      if (outcome !== 'lost') {
        state.session = pending.confirm();
        if (created) state.cursor = { seq: state.cursor.seq, joinedSlot: 0, joinedSeq: 0 };
        state.cursor.slot = slot + 1;
        state.cursor.updatedAt = this.clock();
        await this.save(conversationId, state);
        await this.dropAhead(conversationId, state);
        return 'committed';
      }
      if (created) return 'waiting';
    }
    throw new GroupStateError(`Gave up reconciling ${conversationId} after ${COMMIT_ATTEMPTS} lost epochs`);
  }

  /** Commits `change` at the current epoch, applying a rival's winning commit and retrying on a loss. */
  private async commitWithRetry(
    conversationId: string,
    change: (session: GroupSession) => Promise<PendingCommit>,
  ): Promise<void> {
    for (let attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
      const state = await this.conversation(conversationId);
      const session = state.session;
      if (session === undefined) throw new NotInGroupError('This device is not in the conversation’s group');
      const pending = await change(session);
      const slot = state.cursor.slot ?? 0;
      await this.writeAhead(conversationId, state, slot, pending, false);
      const outcome = await this.postCommit(conversationId, slot, pending, {});
      if (outcome !== 'lost' && outcome !== 'stale') {
        state.session = pending.confirm();
        state.cursor.slot = slot + 1;
        state.cursor.updatedAt = this.clock();
        await this.save(conversationId, state);
        await this.dropAhead(conversationId, state);
        return;
      }
      await this.dropAhead(conversationId, state);
      await this.syncNow(conversationId);
    }
    throw new GroupStateError(`Gave up committing to ${conversationId} after ${COMMIT_ATTEMPTS} lost epochs`);
  }

  private async postCommit(
    conversationId: string,
    epoch: number,
    pending: PendingCommit,
    extra: { recipients?: DeviceAddress[]; membersVersion?: number },
  ): Promise<Accepted | 'lost' | 'stale'> {
    const recipients = extra.recipients ?? [];
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.postCommitOnce(conversationId, epoch, pending, recipients, extra.membersVersion);
      } catch (error) {
        // Another member is finishing this very commit for us: the same request again gets the first result.
        const inProgress = error instanceof ApiError && error.code === ErrorCode.SendInProgress;
        if (!inProgress || attempt === COMMIT_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, WELCOME_WAIT_FIRST_IN_MS * attempt));
      }
    }
  }

  private async postCommitOnce(
    conversationId: string,
    epoch: number,
    pending: PendingCommit,
    recipients: readonly DeviceAddress[],
    membersVersion: number | undefined,
  ): Promise<Accepted | 'lost' | 'stale'> {
    try {
      const accepted = await this.api.postCommit({
        params: { conversationId },
        body: {
          epoch,
          commit: toBase64(pending.commit),
          ...(pending.welcome !== undefined && recipients.length > 0
            ? { welcome: toBase64(pending.welcome), welcomeRecipients: [...recipients] }
            : {}),
          ...(membersVersion === undefined ? {} : { membersVersion }),
        },
      });
      return { storedAt: Date.parse(accepted.sentAt) };
    } catch (error) {
      if (error instanceof ApiError && error.code === ErrorCode.Conflict) return 'lost';
      // The server refuses a Welcome for a device that is not current (revoked since it was claimed).
      if (error instanceof ApiError && error.code === ErrorCode.ValidationFailed && recipients.length > 0) {
        return 'stale';
      }
      throw error;
    }
  }

  /** The current (not revoked) devices of these users, by device key. */
  private async wantedDevices(userIds: readonly string[]): Promise<Map<string, DeviceAddress>> {
    const lists = await Promise.all(userIds.map((userId) => this.directory.devicesOf(userId)));
    return new Map(
      lists
        .flat()
        .filter((d) => !d.revoked)
        .map((d) => [deviceKeyOf(d), { userId: d.userId, deviceId: d.deviceId }] as const),
    );
  }

  /** One key package per wanted device; devices with none left (or unknown to the server) are `missing`. */
  private async claim(devices: readonly DeviceAddress[]) {
    const wanted = new Set(devices.map(deviceKeyOf));
    const userIds = [...new Set(devices.map((d) => d.userId))];
    const keyPackages: { userId: string; deviceId: string; keyPackage: Uint8Array }[] = [];
    for (let i = 0; i < userIds.length; i += CLAIM_BATCH) {
      const claim = await this.api.claimKeyPackages({ body: { userIds: userIds.slice(i, i + CLAIM_BATCH) } });
      for (const item of claim.items) {
        if (wanted.has(deviceKeyOf(item))) {
          keyPackages.push({
            userId: item.userId,
            deviceId: item.deviceId,
            keyPackage: fromBase64(item.keyPackage),
          });
        }
      }
    }
    const got = new Set(keyPackages.map(deviceKeyOf));
    return { keyPackages, missing: devices.filter((d) => !got.has(deviceKeyOf(d))) };
  }

  private conversation(conversationId: string): Promise<Conversation> {
    let loaded = this.conversations.get(conversationId);
    if (loaded === undefined) {
      loaded = this.load(conversationId);
      this.conversations.set(conversationId, loaded);
      loaded.catch(() => this.conversations.delete(conversationId));
    }
    return loaded;
  }

  private async load(conversationId: string): Promise<Conversation> {
    const [group, meta, ahead, aheadGroup] = await Promise.all([
      this.store.get(`group/${conversationId}`),
      this.store.get(`meta/${conversationId}`),
      this.store.get(`ahead/${conversationId}`),
      this.store.get(`ahead-group/${conversationId}`),
    ]);
    try {
      const stored =
        meta === undefined ? undefined : decodeJson<{ cursor: Cursor; own: [string, string][] }>(meta);
      const written =
        ahead === undefined || aheadGroup === undefined
          ? undefined
          : decodeJson<{ slot: number; hash: string; created: boolean }>(ahead);
      return {
        session: group === undefined ? undefined : GroupSession.restore(this.self, this.directory, group),
        cursor: stored?.cursor ?? { seq: 0 },
        own: new Map(stored?.own ?? []),
        ...(written && aheadGroup
          ? { ahead: { ...written, session: GroupSession.restore(this.self, this.directory, aheadGroup) } }
          : {}),
      };
    } catch (error) {
      throw new StateStoreError(`The stored state of ${conversationId} is damaged`, { cause: error });
    }
  }

  private async save(conversationId: string, state: Conversation): Promise<void> {
    await this.store.put(`meta/${conversationId}`, encodeJson({ cursor: state.cursor, own: [...state.own] }));
    if (state.session === undefined) await this.store.delete(`group/${conversationId}`);
    else await this.store.put(`group/${conversationId}`, state.session.encode());
  }

  /** Stores the commit about to be posted and the state it leads to, before the post (see `Ahead`). */
  private async writeAhead(
    conversationId: string,
    state: Conversation,
    slot: number,
    pending: PendingCommit,
    created: boolean,
  ): Promise<void> {
    // Not `confirm()`: that wipes the old epoch's secrets, which a commit that loses still needs.
    const next = pending.encodeNext();
    const ahead: Ahead = {
      slot,
      hash: await commitHashOf(pending.commit),
      created,
      session: GroupSession.restore(this.self, this.directory, next),
    };
    // The state first, then the note that names it: a note is never there without its state.
    await this.store.put(`ahead-group/${conversationId}`, next);
    await this.store.put(`ahead/${conversationId}`, encodeJson({ slot, hash: ahead.hash, created }));
    state.ahead = ahead;
  }

  /** Forgets the commit written ahead: its answer is stored, or it was not the one the log kept. */
  private async dropAhead(conversationId: string, state: Conversation): Promise<void> {
    state.ahead = undefined;
    await this.store.delete(`ahead/${conversationId}`);
    await this.store.delete(`ahead-group/${conversationId}`);
  }

  /**
   * Whether the log entry is this device's own commit, written ahead: then its state is the one to go on
   * with (the device could not read its own commit).
   */
  private async isOwnAhead(state: Conversation, epoch: number, body: string | undefined): Promise<boolean> {
    const ahead = state.ahead;
    if (ahead === undefined || ahead.slot !== epoch || body === undefined) return false;
    return (await commitHashOf(fromBase64(body))) === ahead.hash;
  }

  /**
   * A device that founded the group and stopped before storing it: when the log's first commit is the one
   * it wrote ahead, it takes the group from there, as if the post had answered; when another device's
   * founding commit is there instead, it forgets its own and waits for that one's Welcome.
   */
  private async resumeFounding(conversationId: string, state: Conversation): Promise<boolean> {
    const ahead = state.ahead;
    if (ahead === undefined || !ahead.created) return false;
    const founding = await this.firstCommitOf(conversationId);
    if (founding === undefined) return false;
    if (!(await this.isOwnAhead(state, epochOfCommitMessageId(founding.messageId), founding.body))) {
      await this.dropAhead(conversationId, state);
      return false;
    }
    state.session = ahead.session;
    state.cursor = { seq: state.cursor.seq, joinedSlot: 0, joinedSeq: 0, slot: ahead.slot + 1 };
    state.cursor.updatedAt = this.clock();
    await this.save(conversationId, state);
    await this.dropAhead(conversationId, state);
    return true;
  }

  /** The log's first commit: the group's founding one. */
  private async firstCommitOf(conversationId: string): Promise<MessageEnvelope | undefined> {
    for (let after = 0; ; ) {
      const page = await this.api.listMessages({ params: { conversationId }, query: { after, limit: 100 } });
      const commit = page.items.find((item) => item.kind === COMMIT_KIND);
      if (commit) return commit;
      const last = page.items.at(-1);
      if (page.next === undefined || last === undefined) return undefined;
      after = last.seq;
    }
  }

  private async forgetGroup(conversationId: string): Promise<void> {
    const state = await this.conversation(conversationId);
    // Only a device that was in the group has left it (a push may come for one never added).
    const wasIn = state.session !== undefined || state.cursor.leftSeq !== undefined;
    state.session = undefined;
    state.cursor = { seq: state.cursor.seq, ...(wasIn ? { leftSeq: state.cursor.seq } : {}) };
    await this.save(conversationId, state);
  }
}
