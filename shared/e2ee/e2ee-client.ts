import type { ApiClient } from '../client/api-client';
import type { PushFrame } from '../protocol/outbound';
import { toBase64 } from './base64';
import type { ChatEvent } from './client/chat-event';
import { CommitPoster } from './client/commit-poster';
import type { ClientContext, MessageAck, PostMessage } from './client/context';
import { ConversationStates } from './client/conversation-state';
import { topUpKeyPackages } from './client/key-package-stock';
import { LogReader } from './client/log-reader';
import { MessageSender, type SendOptions } from './client/message-sender';
import { PushHandler } from './client/push-handler';
import { forEachConversation, type Reconciled, Reconciliation } from './client/reconciliation';
import { Welcomes } from './client/welcomes';
import { DeviceVault } from './device-vault';
import { DeviceRevokedError } from './errors';
import type { GroupMember } from './group-session';
import { HistoryReceiver, type HistoryReceiverDeps } from './history/transfer-receiver';
import { HistorySender, type HistorySenderDeps } from './history/transfer-sender';
import { HttpDirectory } from './http-directory';
import type { DeviceAddress } from './identity';
import { deviceSetFingerprint, safetyNumber } from './safety-number';
import type { StateStore } from './state-store';

export type { ChatEvent, UndecryptableReason } from './client/chat-event';
export type { PostMessage } from './client/context';
export { KEY_PACKAGE_LOW_WATER, KEY_PACKAGE_TARGET } from './client/key-package-stock';
export { NotInGroupError } from './errors';

/** How often a device refreshes its own leaf in each group (post-compromise security). */
export const SELF_UPDATE_INTERVAL_IN_MS = 7 * 24 * 60 * 60 * 1000;

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
  private readonly ctx: ClientContext;
  private readonly states: ConversationStates;
  private readonly reader: LogReader;
  private readonly commits: CommitPoster;
  private readonly reconciliation: Reconciliation;
  private readonly sender: MessageSender;
  private readonly pushes: PushHandler;

  private constructor(context: Omit<ClientContext, 'directory' | 'self'>) {
    this.directory = new HttpDirectory(context.api, context.clock);
    const { userId, deviceId } = context.vault.device;
    this.ctx = { ...context, directory: this.directory, self: { userId, deviceId } };
    this.states = new ConversationStates(this.ctx);
    this.reader = new LogReader(this.ctx, this.states, new Welcomes(this.ctx, this.states));
    this.commits = new CommitPoster(this.ctx, this.states, this.reader);
    this.reconciliation = new Reconciliation(this.ctx, this.states, this.reader, this.commits);
    this.sender = new MessageSender(this.ctx, this.states, this.reader, this.reconciliation);
    this.pushes = new PushHandler(this.ctx, this.states, this.reader, this.reconciliation);
  }

  /** Opens (or creates) the device in `store`, registers it, and tops up its key packages. */
  static async open(options: E2eeClientOptions): Promise<E2eeClient> {
    const vault = await DeviceVault.open(options.store, options.userId, options.deviceId);
    const client = new E2eeClient({
      api: options.api,
      vault,
      store: options.store,
      clock: options.clock ?? Date.now,
      onEvents: options.onEvents ?? (() => undefined),
      onRevoked: options.onRevoked ?? (() => undefined),
      post:
        options.postMessage ??
        ((conversationId, body) => options.api.postMessage({ params: { conversationId }, body })),
    });
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
    const { userId, deviceId } = this.ctx.self;
    return { userId, deviceId };
  }

  get signaturePublicKey(): Uint8Array {
    return this.ctx.vault.device.signaturePublicKey;
  }

  /**
   * This device's side of a history transfer as the old device: it offers, and sends `source` once approved.
   *
   * @example
   * const sender = client.historySender({ api, transport: fetchTransport(), source });
   */
  historySender(deps: Pick<HistorySenderDeps, 'api' | 'transport' | 'source' | 'archive'>): HistorySender {
    return new HistorySender({
      ...deps,
      device: this.ctx.vault.device,
      directory: this.directory,
      store: this.ctx.store,
    });
  }

  /**
   * This device's side of a history transfer as the new device: it asks, and restores into `sink`.
   *
   * @example
   * const receiver = client.historyReceiver({ api, transport: fetchTransport(), sink });
   */
  historyReceiver(deps: Pick<HistoryReceiverDeps, 'api' | 'transport' | 'sink'>): HistoryReceiver {
    return new HistoryReceiver({
      ...deps,
      device: this.ctx.vault.device,
      directory: this.directory,
      store: this.ctx.store,
    });
  }

  /**
   * Uploads fresh key packages when fewer than {@link KEY_PACKAGE_LOW_WATER} are left on the server, and a
   * last-resort one when there is none. Returns how many were uploaded.
   */
  topUpKeyPackages(): Promise<number> {
    return topUpKeyPackages(this.ctx);
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
    return (await this.states.get(conversationId)).session?.members() ?? [];
  }

  /**
   * The last log `seq` this device has read in a conversation (0 when none): what its kept history speaks
   * for, edits and reactions included, when it sends that history to another device.
   */
  async readUpTo(conversationId: string): Promise<number> {
    return (await this.states.get(conversationId)).cursor.seq;
  }

  /** The group's epoch on this device; `undefined` when not in the group. */
  async epoch(conversationId: string): Promise<number | undefined> {
    const session = (await this.states.get(conversationId)).session;
    return session === undefined ? undefined : Number(session.epoch);
  }

  /**
   * Reads the log from where this device stopped, joining from a Welcome first when it is not in the
   * group, and returns what it found in `seq` order.
   */
  sync(conversationId: string): Promise<ChatEvent[]> {
    return this.reader.sync(conversationId);
  }

  /**
   * Handles a push: messages in order (a gap or a `message-ref` reads the log instead), Welcomes for this
   * device, membership and device changes (the group is brought in line with the server).
   */
  handlePush(frame: PushFrame): Promise<ChatEvent[]> {
    return this.pushes.handle(frame);
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
  reconcile(conversationId: string): Promise<Reconciled> {
    return this.reconciliation.reconcile(conversationId);
  }

  /**
   * A self-update commit (fresh keys for this device's leaf: post-compromise security), unconditionally or
   * only when this device's last one is older than {@link SELF_UPDATE_INTERVAL_IN_MS}.
   *
   * @returns whether a commit was made
   */
  selfUpdate(conversationId: string, options: { ifDue?: boolean } = {}): Promise<boolean> {
    return this.states.serial(conversationId, async () => {
      await this.reader.syncNow(conversationId);
      const state = await this.states.get(conversationId);
      if (state.session === undefined) return false;
      const due = this.ctx.clock() - (state.cursor.updatedAt ?? 0) >= SELF_UPDATE_INTERVAL_IN_MS;
      if (options.ifDue === true && !due) return false;
      await this.commits.commitWithRetry(conversationId, (session) => session.selfUpdate());
      return true;
    });
  }

  /**
   * Reconciles every conversation of the user (when the app starts, or after it missed pushes), and makes
   * the self-updates that are due. A `device` push reconciles only the conversations shared with its user.
   */
  async reconcileAll(): Promise<void> {
    await forEachConversation(this.ctx, async ({ conversationId, memberIds }) => {
      for (const userId of memberIds) this.directory.forget(userId);
      await this.reconcile(conversationId);
      await this.selfUpdate(conversationId, { ifDue: true });
    });
  }

  /**
   * Revokes one of the user's devices (this one or another) and removes it from every group at once;
   * members who see the revocation later remove it too, whichever commits first.
   */
  async revokeDevice(deviceId: string): Promise<void> {
    await this.ctx.api.revokeDevice({ params: { deviceId } });
    this.directory.forget(this.self.userId);
    if (deviceId !== this.self.deviceId) await this.reconcileAll();
  }

  /**
   * Encrypts and sends a message. The group is synced and reconciled with the server's member list first,
   * so a member removed a moment ago cannot read it. A retry with the same `messageId` is safe.
   */
  send(conversationId: string, plaintext: Uint8Array, options: SendOptions = {}): Promise<MessageAck> {
    return this.states.serial(conversationId, () => this.sender.sendNow(conversationId, plaintext, options));
  }
}
