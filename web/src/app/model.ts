import { type ApiClient, createApiClient } from '../../../shared/client/api-client';
import type { WebConfig } from '../../../shared/client/web-config';
import type { AttachmentDescriptor } from '../../../shared/e2ee/attachment-payload';
import type { ChatEvent, E2eeClient } from '../../../shared/e2ee/e2ee-client';
import { backupApiOf } from '../../../shared/e2ee/history/backup';
import { fetchTransport, historyTransferApiOf } from '../../../shared/e2ee/history/transfer-api';
import type {
  Block,
  ConversationSummary,
  Device,
  Friend,
  MemberRole,
  PublicProfile,
} from '../../../shared/protocol/resources';
import { Account } from './account';
import { Connection } from './connection';
import { Conversations, listAllConversations } from './conversations';
import { buildExport, exportFileName } from './data-export';
import { describeError } from './describe-error';
import { Downloads } from './downloads';
import { HistoryBackups } from './history-backup';
import { HistoryTransfers } from './history-transfers';
import { HistoryWriter } from './history-writer';
import type { SearchResults } from './message-search';
import { type NotificationPreview, readNotificationSettings } from './notify';
import { type DeviceOwner, type OpenedDevice, openBrowserDevice } from './open-device';
import { Outbox } from './outbox';
import { People } from './people';
import { Pictures } from './pictures';
import { routePushes } from './push-router';
import { ReceiptSender } from './receipt-sender';
import type { Session } from './session';
import { type ConversationView, type ModelState, ModelStore } from './store';
import { Typing } from './typing';
import { WebPush } from './web-push';

/** How long after a connection's own work the background work (history transfers, the backup) starts. */
const BACKGROUND_AFTER_CONNECTION_IN_MS = 1500;

export { describeError } from './describe-error';
export type { MessageView } from './history';
export { previewOf } from './history-writer';
export type {
  ConversationView,
  ModelState,
  OutboxItem,
  PendingAttachment,
  Transfer,
} from './store';

/**
 * The signed-in app: the one thing the screens hold. They read its `state` (kept by the store, which tells
 * subscribers of every change) and call its actions; every action and every push goes through one of its
 * parts, each wired here once:
 *
 * - `store.ts`: the state the screens render, and their subscriptions;
 * - `push-router.ts`: each kind of server push to the part that handles it;
 * - `connection.ts`: the socket, and a message's way to the server (socket, else HTTP);
 * - `outbox.ts`: messages and files on their way, kept until sent, retried, or refused and kept marked;
 * - `receipt-sender.ts`: my delivered and read marks, paced to one receipt a second per conversation;
 * - `history-writer.ts`: what the E2EE client reads, written into the encrypted history and search index;
 * - `history-transfers.ts`: history brought from another of my devices, or sent to one;
 * - `open-device.ts`: this browser's device, opened at start-up;
 * - `pictures.ts`: profile pictures, mine sealed and uploaded, others' opened with the keys their messages bring;
 * - `data-export.ts`: *Download my data*, the server's part and this browser's history in one file;
 * - `conversations.ts`, `people.ts`, `typing.ts`, `downloads.ts`, `account.ts`: the rest, by subject.
 */
export class ChatModel {
  private readonly store: ModelStore;
  private readonly connection: Connection;
  private readonly history: HistoryWriter;
  private readonly receipts: ReceiptSender;
  private readonly conversations: Conversations;
  private readonly people: People;
  private readonly typingIndicators: Typing;
  private readonly outbox: Outbox;
  private readonly downloads: Downloads;
  private readonly account: Account;
  private readonly pictures: Pictures;
  private readonly webPush: WebPush;
  private readonly transfers: HistoryTransfers;
  private readonly backups: HistoryBackups;
  private backgroundTimer: ReturnType<typeof setTimeout> | undefined;

  private readonly api: ApiClient;
  readonly e2ee: E2eeClient;
  /** Where the device's sends, reads and revocation go. */
  private readonly owner: DeviceOwner;

  private constructor(
    readonly config: WebConfig,
    readonly session: Session,
    device: OpenedDevice,
  ) {
    const { api, e2ee, vault, shelf } = device;
    const store = new ModelStore(device.me, device.deviceId);
    const connection = new Connection(config, session, api, store);
    this.api = api;
    this.e2ee = e2ee;
    this.store = store;
    this.connection = connection;
    this.history = new HistoryWriter(store, vault);
    this.receipts = new ReceiptSender(store, api, (frame) => connection.send(frame));
    this.conversations = new Conversations(store, api, this.history, this.receipts);
    this.people = new People(store, api);
    this.typingIndicators = new Typing(store, (frame) => connection.send(frame));
    this.pictures = new Pictures(store, vault, api);
    this.outbox = new Outbox(store, vault, shelf, api, e2ee, this.pictures);
    this.downloads = new Downloads(store, api);
    this.webPush = new WebPush(
      api,
      device.deviceId,
      config.vapidPublicKey,
      undefined,
      undefined,
      (status) => {
        store.state.push = status;
        store.changed();
      },
    );
    this.account = new Account(store, api, e2ee, session, connection, this.webPush);
    const transferApi = historyTransferApiOf(api);
    const transport = fetchTransport();
    // What this browser keeps, and how far it read each conversation (edits and reactions past its newest message).
    const source = { ...this.history.source(), readUpTo: (id: string) => e2ee.readUpTo(id) };
    this.transfers = new HistoryTransfers({
      store,
      vault,
      deviceId: device.deviceId,
      sender: e2ee.historySender({ api: transferApi, transport, source }),
      receiver: e2ee.historyReceiver({ api: transferApi, transport, sink: this.history }),
      listTransfers: () => transferApi.list(),
      cancelTransfer: (transferId) => transferApi.cancel(transferId),
      listDevices: () => this.account.listDevices(),
      onlineDevices: async () => (await api.getMySockets()).devices,
    });
    this.backups = new HistoryBackups({
      store,
      vault,
      api: backupApiOf(api),
      transport,
      source,
      sink: this.history,
    });
    this.history.onChanged = (conversationId, seqs) => this.backups.noteChanged(conversationId, seqs);
    this.owner = {
      post: connection.post,
      apply: (events) => this.apply(events),
      revoked: () => this.markRevoked(),
    };
  }

  /** Opens this browser's device (see `open-device.ts`), shows what it keeps, and connects. */
  static async start(
    config: WebConfig,
    session: Session,
    onStep: (step: string) => void,
  ): Promise<ChatModel> {
    let model: ChatModel | undefined;
    const device = await openBrowserDevice(config, session, onStep, () => model?.owner);
    model = new ChatModel(config, session, device);
    await model.load(device.conversations, device.friends);
    for (const events of device.pending) await model.apply(events);
    model.connect();
    // Signed in with an email the server does not hold: it changed at the user pool, and the server was not
    // told (the call failed, or another browser changed it). The server follows now, not awaited.
    if (device.email !== session.email.toLowerCase()) void model.followEmail().catch(() => undefined);
    // Notifications on in this browser: the server's copy of its push subscription is checked, not awaited.
    if (readNotificationSettings().enabled) void model.syncPush();
    return model;
  }

  /** Shows the conversations and friends, each conversation's newest stored history, and presence. */
  private async load(conversations: ConversationSummary[], friends: Friend[]): Promise<void> {
    this.people.load(friends);
    this.conversations.load(conversations);
    // Only the newest chunk or two of each: older pages are read when the person scrolls up to them.
    await Promise.all([
      this.outbox.load(),
      this.pictures.load(),
      this.people.loadPresence(),
      ...conversations.map((c) => this.history.show(c.conversationId)),
    ]);
    this.store.sortConversations();
    this.store.changed();
  }

  private connect(): void {
    const e2ee = this.e2ee;
    const onFrame = routePushes(
      {
        message: async (frame) => {
          await e2ee.handlePush(frame);
          this.conversations.heardMessage(frame);
        },
        'message-ref': (frame) => e2ee.handlePush(frame),
        welcome: (frame) => e2ee.handlePush(frame),
        conversation: async (frame) => {
          await this.conversations.heard(frame);
          await e2ee.handlePush(frame);
        },
        deleted: (frame) => this.history.deleted(frame),
        receipt: (frame) => this.receipts.heard(frame),
        presence: (frame) => this.people.heardPresence(frame),
        typing: (frame) => this.typingIndicators.heard(frame),
        profile: (frame) => this.people.heardProfile(frame.user),
        friend: (frame) => this.people.heardFriend(frame),
        settings: (frame) => this.conversations.heardSettings(frame),
        device: async (frame) => {
          this.account.heardDevice(frame);
          await e2ee.handlePush(frame);
        },
        'history-transfer': (frame) => this.transfers.heard(frame.transfer),
      },
      (error) => this.store.notify(describeError(error)),
    );
    this.connection.open({
      frame: (frame) => void onFrame(frame),
      opened: () => void this.resume(),
      settled: () => void this.catchUp(),
      sessionEnded: () => this.markSessionEnded(),
    });
  }

  /** On every (re)connection: catch up every conversation from where this device stopped, then send the outbox. */
  private async resume(): Promise<void> {
    try {
      const fresh = await listAllConversations(this.api);
      await this.conversations.caughtUp(fresh);
      for (const c of fresh) await this.e2ee.sync(c.conversationId);
      await this.outbox.flush();
      // Groups in line with members and devices changed while away, and the weekly self-updates.
      await this.e2ee.reconcileAll();
      this.resumeInBackground();
    } catch (error) {
      this.store.notify(describeError(error));
    }
  }

  /**
   * History transfers go on where they stopped, a new browser is offered its history, and the backup (when
   * this browser keeps it) takes what came since its last run: a moment after the connection's own work, so
   * they never hold up what the person opened the app for. A failure waits for the next connection.
   */
  private resumeInBackground(): void {
    clearTimeout(this.backgroundTimer);
    this.backgroundTimer = setTimeout(() => {
      void this.transfers
        .resume()
        .catch((error: unknown) => console.warn('History transfers could not be read', { error }));
      void this.backups
        .resume()
        .catch((error: unknown) => console.warn('The backup could not be read', { error }));
    }, BACKGROUND_AFTER_CONNECTION_IN_MS);
  }

  /** Reads the conversations whose log moved past what this browser has: messages no push brought. */
  private async catchUp(): Promise<void> {
    try {
      const fresh = await listAllConversations(this.api);
      const behind = fresh.filter((c) => c.lastSeq > (this.store.find(c.conversationId)?.lastSeq ?? 0));
      for (const c of behind) await this.e2ee.sync(c.conversationId);
    } catch {
      // The next push or reconnection reads it: nothing to tell the person.
    }
  }

  /** Applies what the E2EE client read, in order, and keeps it (encrypted) for the next visit. */
  private async apply(events: readonly ChatEvent[]): Promise<void> {
    this.typingIndicators.heardMessages(events);
    await this.history.write(events);
    await this.pictures.heard(events);
    this.store.changed();
    await this.receipts.reached(events);
  }

  // What the screens read -----------------------------------------------------------------------------------

  get state(): ModelState {
    return this.store.state;
  }

  subscribe(listener: () => void): () => void {
    return this.store.subscribe(listener);
  }

  notify(notice: string | undefined): void {
    this.store.notify(notice);
  }

  nameOf(userId: string): string {
    return this.store.nameOf(userId);
  }

  titleOf(conversation: ConversationView): string {
    return this.store.titleOf(conversation);
  }

  /** The local preview of a queued file, while it waits or uploads. */
  localFileOf(messageId: string): string | undefined {
    return this.outbox.localFileOf(messageId);
  }

  // Messages (see outbox.ts, history-writer.ts, receipt-sender.ts, downloads.ts) ------------------------------

  send(
    conversationId: string,
    text: string,
    options?: { kind?: 'reply' | 'edit' | 'reaction'; refSeq?: number },
  ): Promise<void> {
    return this.outbox.send(conversationId, text, options);
  }

  sendFile(
    conversationId: string,
    file: File,
    caption: string,
    options?: { voice?: boolean; durationMs?: number; kind?: 'reply'; refSeq?: number },
  ): Promise<void> {
    return this.outbox.sendFile(conversationId, file, caption, options);
  }

  removeQueued(messageId: string): Promise<void> {
    return this.outbox.remove(messageId);
  }

  retryQueued(messageId: string): Promise<void> {
    return this.outbox.retry(messageId);
  }

  deleteMessage(conversationId: string, seq: number): Promise<void> {
    return this.conversations.deleteMessage(conversationId, seq);
  }

  fetchFile(conversationId: string, attachment: AttachmentDescriptor): Promise<string | undefined> {
    return this.downloads.fetch(conversationId, attachment);
  }

  loadEarlier(conversationId: string): Promise<boolean> {
    return this.history.loadEarlier(conversationId);
  }

  loadUntil(conversationId: string, seq: number): Promise<boolean> {
    return this.history.loadUntil(conversationId, seq);
  }

  searchMessages(query: string, limit: number): Promise<SearchResults> {
    return this.history.search(query, limit);
  }

  markRead(conversationId: string, upTo?: number): Promise<void> {
    return this.receipts.markRead(conversationId, upTo);
  }

  typing(conversationId: string, state: 'start' | 'stop'): void {
    this.typingIndicators.send(conversationId, state);
  }

  // Conversations and groups (see conversations.ts) ---------------------------------------------------------

  refresh(conversationId: string): Promise<void> {
    return this.conversations.refresh(conversationId);
  }

  changeSettings(
    conversationId: string,
    change: { pinned?: boolean; archived?: boolean; mutedUntil?: string | null; markedUnread?: boolean },
  ): Promise<boolean> {
    return this.conversations.changeSettings(conversationId, change);
  }

  openDirect(userId: string): Promise<string> {
    return this.conversations.openDirect(userId);
  }

  createGroup(name: string, memberIds: string[]): Promise<string> {
    return this.conversations.createGroup(name, memberIds);
  }

  leaveGroup(conversationId: string): Promise<void> {
    return this.conversations.leaveGroup(conversationId);
  }

  setMemberRole(conversationId: string, userId: string, role: MemberRole): Promise<void> {
    return this.conversations.setMemberRole(conversationId, userId, role);
  }

  renameGroup(conversationId: string, name: string): Promise<void> {
    return this.conversations.renameGroup(conversationId, name);
  }

  addMembers(conversationId: string, userIds: string[]): Promise<void> {
    return this.conversations.addMembers(conversationId, userIds);
  }

  removeMember(conversationId: string, userId: string): Promise<void> {
    return this.conversations.removeMember(conversationId, userId);
  }

  // People (see people.ts) -----------------------------------------------------------------------------------

  reloadFriends(): Promise<void> {
    return this.people.reloadFriends();
  }

  markAccountDeleted(userId: string): void {
    this.store.markAccountDeleted(userId);
  }

  learnUsers(userIds: readonly string[]): Promise<void> {
    return this.people.learnUsers(userIds);
  }

  updateProfile(patch: { displayName?: string; username?: string }): Promise<void> {
    return this.people.updateProfile(patch);
  }

  /**
   * Has the server take my account's email, after it changed at the user pool: people then find me by the
   * new one. A session that still named the old email (changed from another browser) takes the new one.
   */
  async followEmail(): Promise<void> {
    const me = await this.people.followAccountEmail();
    if (me.email !== this.session.email.toLowerCase()) this.session.changeEmail(me.email);
  }

  /** Makes a picked image my profile picture (see `pictures.ts`); a file that is no picture is refused in words. */
  async setPicture(file: Blob): Promise<void> {
    this.people.heardMe(await this.pictures.set(file));
  }

  async removePicture(): Promise<void> {
    await this.pictures.remove();
    const { avatarId: _removed, ...me } = this.store.state.me;
    this.people.heardProfile(me);
  }

  findUsers(query: string): Promise<PublicProfile[]> {
    return this.people.find(query);
  }

  sendFriendRequest(userId: string): Promise<void> {
    return this.people.sendFriendRequest(userId);
  }

  acceptFriendRequest(userId: string): Promise<void> {
    return this.people.acceptFriendRequest(userId);
  }

  rejectFriendRequest(userId: string): Promise<void> {
    return this.people.rejectFriendRequest(userId);
  }

  cancelFriendRequest(userId: string): Promise<void> {
    return this.people.cancelFriendRequest(userId);
  }

  removeFriend(userId: string): Promise<void> {
    return this.people.removeFriend(userId);
  }

  listBlocks(): Promise<Block[]> {
    return this.people.listBlocks();
  }

  blockUser(userId: string): Promise<void> {
    return this.people.block(userId);
  }

  unblockUser(userId: string): Promise<void> {
    return this.people.unblock(userId);
  }

  // Your data (see data-export.ts) ----------------------------------------------------------------------------

  /**
   * One JSON file of what the server holds about me and the messages this browser holds, decrypted here
   * (see `data-export.ts`); `onProgress` counts the conversations read.
   */
  async exportMyData(
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ fileName: string; blob: Blob }> {
    const now = new Date();
    const { state } = this.store;
    const file = await buildExport(
      {
        api: this.api,
        me: this.store.myId,
        deviceId: state.deviceId,
        readHistory: (conversationId) => this.history.readAll(conversationId),
        conversations: state.conversations.map((c) => ({
          conversationId: c.conversationId,
          title: this.store.titleOf(c),
        })),
        knownName: (userId) => this.store.state.users[userId]?.displayName,
        now: () => now,
      },
      onProgress,
    );
    return {
      fileName: exportFileName(now),
      blob: new Blob([JSON.stringify(file, null, 2)], { type: 'application/json' }),
    };
  }

  // Devices and session (see account.ts) ---------------------------------------------------------------------

  listDevices(): Promise<Device[]> {
    return this.account.listDevices();
  }

  renameDevice(deviceId: string, name: string): Promise<void> {
    return this.account.renameDevice(deviceId, name);
  }

  revokeDevice(deviceId: string): Promise<void> {
    return this.account.revokeDevice(deviceId);
  }

  // History from another of my devices (see history-transfers.ts) --------------------------------------------

  /** Asks another of my devices for its history. */
  askForHistory(fromDeviceId: string): Promise<void> {
    return this.transfers.ask(fromDeviceId);
  }

  /** No history from my other devices, on this browser. */
  declineHistory(): Promise<void> {
    return this.transfers.decline();
  }

  /** The codes match: send this browser's history to the device that asked. */
  approveHistoryTransfer(): Promise<void> {
    return this.transfers.approve();
  }

  cancelHistoryTransfer(): Promise<void> {
    return this.transfers.cancel();
  }

  dismissHistoryTransfer(): void {
    this.transfers.dismiss();
  }

  // The encrypted backup (see history-backup.ts) -------------------------------------------------------------

  /** Turns the backup on (or makes it again under a new recovery key): the key is shown once. */
  turnOnBackup(): Promise<void> {
    return this.backups.turnOn();
  }

  turnOffBackup(): Promise<void> {
    return this.backups.turnOff();
  }

  backUpNow(): Promise<void> {
    return this.backups.run();
  }

  recoveryKeySaved(): void {
    this.backups.keySaved();
  }

  /** Restores the backup into this browser with the recovery key typed. */
  restoreBackup(recoveryKey: string): Promise<void> {
    return this.backups.restore(recoveryKey);
  }

  // Notifications while Parley is closed (see web-push.ts) ---------------------------------------------------

  /** Subscribes this browser to Web Push and stores the subscription on the server with `preview`. */
  enablePush(preview: NotificationPreview): Promise<unknown> {
    return this.webPush.enable(preview);
  }

  /** Ends this browser's push subscription, here and on the server. */
  disablePush(): Promise<void> {
    return this.webPush.disable();
  }

  /** Sends the server this browser's push subscription again if its copy is missing or out of date. */
  syncPush(): Promise<unknown> {
    return this.webPush.sync(readNotificationSettings().preview);
  }

  signOut(options?: { everywhere?: boolean }): Promise<void> {
    return this.account.signOut(options);
  }

  signOutAndForget(): Promise<void> {
    return this.account.signOutAndForget();
  }

  /**
   * Deletes my account (the server asks for an access token from a sign-in in the last few minutes: the
   * caller signs in again first and passes that token), then forgets everything of it in this browser.
   */
  deleteAccount(freshAccessToken: string): Promise<void> {
    return this.account.deleteAccount(
      createApiClient({ baseUrl: this.config.httpApiUrl, accessToken: () => freshAccessToken }),
    );
  }

  markSessionEnded(): void {
    this.account.markSessionEnded();
  }

  markRevoked(): void {
    this.account.markRevoked();
  }

  close(): void {
    clearTimeout(this.backgroundTimer);
    this.backups.close();
    this.connection.close();
  }
}
