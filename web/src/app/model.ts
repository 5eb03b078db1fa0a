import { type ApiClient, ApiError, allPages, createApiClient } from '../../../shared/client/api-client';
import type { WebConfig } from '../../../shared/client/web-config';
import { type EncryptedAttachment, encryptAttachment } from '../../../shared/e2ee/attachment-cipher';
import {
  type AttachmentDescriptor,
  encodeMessagePayload,
  MAX_MESSAGE_TEXT_LENGTH,
  type MessagePayload,
  parseMessagePayload,
} from '../../../shared/e2ee/attachment-payload';
import {
  type ChatEvent,
  E2eeClient,
  NotInGroupError,
  type PostMessage,
} from '../../../shared/e2ee/e2ee-client';
import { AttachmentTooLargeError, DeviceRevokedError } from '../../../shared/e2ee/errors';
import type { StateStore } from '../../../shared/e2ee/state-store';
import { ErrorCode, HTTP_STATUS_BY_CODE } from '../../../shared/protocol/errors';
import { receiptFrame, sendFrame, typingFrame } from '../../../shared/protocol/inbound';
import {
  MAX_ATTACHMENT_FILE_SIZE_IN_BYTES,
  MAX_PINNED_CONVERSATIONS,
  NEW_CONNECTION_PUSHED_WITHIN_IN_MS,
} from '../../../shared/protocol/limits';
import type { OutboundFrame } from '../../../shared/protocol/outbound';
import type {
  Block,
  ConversationSummary,
  Device,
  Friend,
  Member,
  MemberRole,
  PublicProfile,
} from '../../../shared/protocol/resources';
import { type BlobShelf, deleteDeviceStore, openBlobShelf, openDeviceStore } from '../lib/idb-store';
import {
  downloadAttachment,
  type FileFacts,
  factsOf,
  MAX_FILE_SIZE_IN_WORDS,
  sizeInWords,
  UploadCancelledError,
  uploadAttachment,
} from './attachments';
import { applySettings, UNSET_SETTINGS } from './chat-list';
import { newestFirst } from './conversation-order';
import { thisBrowserName } from './device-name';
import { groupEventView } from './group-events';
import { ConversationHistory, type HistoryChange, type MessageView } from './history';
import { type SearchResults, searchMessages } from './message-search';
import { type Marks, raiseMarks } from './receipts';
import { SearchIndex } from './search-index';
import { type Session, SessionEndedError } from './session';
import { ChatSocket, type ConnectionStatus, NoReplyError } from './socket';
import { forgetVerifications } from './verification';

/** What a message's plaintext holds (JSON inside the MLS ciphertext). */
type Payload = MessagePayload;

export type { MessageView } from './history';

/** A message on its way: sent as soon as the connection allows, or kept, marked `failed`, when it was refused. */
export interface OutboxItem {
  readonly conversationId: string;
  readonly messageId: string;
  /** The text, or the caption of the attachment. */
  readonly text: string;
  readonly kind?: 'reply' | 'edit' | 'reaction';
  readonly refSeq?: number;
  /** A file to upload first: encrypted already, its ciphertext on the blob shelf under `localId`. */
  readonly attachment?: PendingAttachment;
  /** Why it was not sent, when retrying alone would not help: it waits for the person to retry or delete it. */
  readonly failed?: string;
}

/** An encrypted file waiting in the outbox; `attachmentId` once its upload is done. */
export interface PendingAttachment {
  readonly localId: string;
  readonly facts: FileFacts;
  readonly key: string;
  readonly sha256: string;
  readonly size: number;
  readonly chunkSize: number;
  readonly attachmentId?: string;
}

/** Bytes moved so far of an upload (by message id) or a download (by attachment id). */
export interface Transfer {
  readonly done: number;
  readonly total: number;
}

export interface ConversationView extends ConversationSummary {
  /** Decrypted here: the server only has ciphertext. */
  preview?: string;
  /** Member id → marks. */
  receipts: Record<string, { delivered: number; read: number }>;
  /** The members with their roles, as last read from the conversation's details (groups show who is admin). */
  members?: readonly Member[];
}

export interface ModelState {
  me: PublicProfile;
  readonly deviceId: string;
  status: ConnectionStatus;
  conversations: ConversationView[];
  /** Conversation → the newest part of its history, as far as read from this browser's store. */
  messages: Record<string, readonly MessageView[]>;
  /**
   * Conversation → whether this browser keeps older messages than those in `messages`
   * (see {@link ChatModel.loadEarlier}).
   */
  earlier: Record<string, boolean>;
  users: Record<string, PublicProfile>;
  friends: Friend[];
  presence: Record<string, { online: boolean; lastSeenAt?: string }>;
  /** Conversation → user → until (epoch ms). */
  typing: Record<string, Record<string, number>>;
  outbox: OutboxItem[];
  /** Uploads by message id, downloads by attachment id, while they run. */
  transfers: Record<string, Transfer>;
  /** Attachment id → an object URL of its decrypted file, once here (sent from or downloaded to this tab). */
  files: Record<string, string>;
  /** Attachment id → why it could not be downloaded. */
  fileErrors: Record<string, string>;
  /** Files being encrypted before they join the outbox, by message id. */
  preparing: Record<string, { readonly conversationId: string; readonly name: string }>;
  /** The latest error worth telling the person. */
  notice?: string;
  /** Bumped when one of my devices registered or was revoked: the device list is to be read again. */
  devicesVersion: number;
  /**
   * Bumped when a device of anyone I share keys with (me, a friend, a co-member) registered or was revoked:
   * the safety numbers shown are to be computed again, since each covers both sides' devices.
   */
  keysVersion: number;
  /** Another of my devices revoked this browser: the app signs out (see {@link ChatModel.signOut}). */
  revoked: boolean;
  /** The server ended this session (the user signed out everywhere): the app shows sign-in. */
  sessionEnded: boolean;
}

/** Where this browser keeps its device id for a user (the keys are in the encrypted store). */
const DEVICE_ID_KEY = (userId: string) => `parley.device.${userId}`;
const OUTBOX = 'outbox';
const TYPING_SHOWN_FOR_IN_MS = 6_000;
/** At most one read mark a second per conversation goes to the server. */
const RECEIPT_INTERVAL_IN_MS = 1_000;
/** How long a delivered mark waits for a read mark to go with it (the screen shows a message within a frame or two). */
const DELIVERED_JOINS_READ_WITHIN_IN_MS = 250;
/** A send's answer over the socket: past the send function's 10 s timeout, the message goes over HTTP. */
const SOCKET_SEND_ANSWER_WITHIN_MS = 12_000;
/** How soon a message whose send is still in progress elsewhere is asked about again. */
const SEND_IN_PROGRESS_RETRY_IN_MS = 2_000;
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decode = <T>(bytes: Uint8Array): T => JSON.parse(new TextDecoder().decode(bytes)) as T;
const markDeleted = (m: MessageView) => {
  m.deleted = true;
  m.text = '';
};

/** A queued file whose encrypted bytes this browser no longer has (its storage was cleared). */
class UploadLostError extends Error {
  constructor() {
    super('This file is no longer in this browser: attach it again.');
    this.name = 'UploadLostError';
  }
}

/**
 * A message too large to send: a caption at the limit with a file's details, or a text the composer let
 * through (one full of control characters, which take six bytes each once encoded).
 */
class PayloadRefusedError extends Error {
  constructor(withFile: boolean) {
    super(
      withFile
        ? 'This message is too long to send with its file: shorten the caption.'
        : 'This message is too long to send: shorten it.',
    );
    this.name = 'PayloadRefusedError';
  }
}

function hoursOf(seconds: number | undefined): string {
  const hours = Math.ceil((seconds ?? 3600) / 3600);
  return hours <= 1 ? 'an hour' : `${hours} hours`;
}

/** What the message says of an uploaded file. */
function descriptorOf(attachment: PendingAttachment): AttachmentDescriptor {
  const { facts, key, sha256, size, chunkSize } = attachment;
  return { id: attachment.attachmentId as string, key, sha256, size, chunkSize, ...facts };
}

/** Words for an API refusal a person can act on. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    switch (error.code) {
      case ErrorCode.RateLimited:
        return `Slow down a little: try again in ${error.retryAfterSeconds ?? 'a few'} seconds.`;
      case ErrorCode.Forbidden:
        return 'You are not allowed to do that here.';
      case ErrorCode.NotFound:
        return 'That is not there any more.';
      case ErrorCode.Conflict:
        return error.detail;
      case ErrorCode.LimitReached:
        return error.detail.includes('attachmentBytesPerUserPerDay')
          ? `You have sent as many files as a day allows. Try again in ${hoursOf(error.retryAfterSeconds)}.`
          : `That would pass a limit of your account: ${error.detail}`;
      case ErrorCode.ValidationFailed:
        return `Check what you entered: ${error.detail}`;
      default:
        return 'Something went wrong on our side. Try again in a moment.';
    }
  }
  if (error instanceof AttachmentTooLargeError) return error.message;
  if (error instanceof UploadLostError || error instanceof PayloadRefusedError) return error.message;
  if (error instanceof NotInGroupError)
    return 'This browser is still being added to the conversation. Try again in a moment.';
  if (error instanceof Error && error.name === 'TypeError')
    return 'You are offline: that needs the connection. Try again once it is back.';
  return 'Something went wrong. Try again in a moment.';
}

/** Why a message stays unsent, in words: a refusal of the conversation itself says which, else as {@link describeError}. */
function whyNotSent(error: unknown, conversation: ConversationView | undefined): string {
  if (error instanceof ApiError && error.code === ErrorCode.Forbidden) {
    // The server says no more (a block reads as the end of a friendship), and neither does this.
    return conversation?.kind === 'group'
      ? 'You are no longer a member of this group.'
      : 'You can’t message this person now: you are not friends.';
  }
  return describeError(error);
}

/**
 * Everything the signed-in app knows and does: the API, this browser's E2EE device, the socket, and the
 * state the screens render. Screens subscribe and call its actions.
 */
export class ChatModel {
  private readonly api: ApiClient;
  state: ModelState;
  private readonly listeners = new Set<() => void>();
  private socket: ChatSocket | undefined;
  private typingSent = new Map<string, number>();
  /** Conversations whose marks were sent in the last second ('recent'), or are to be sent after it ('due'). */
  private readonly receipts = new Map<string, 'recent' | 'due'>();
  /** Conversation → the marks the server has from this browser (or was last sent), so none is sent twice. */
  private readonly sentMarks = new Map<string, Marks>();
  /** Friend pushes seen so far, so a list fetched meanwhile is not taken for newer. */
  private friendPushes = 0;
  /** Conversation → its history in the store, opened once (reads and writes queue there, in call order). */
  private readonly histories = new Map<string, Promise<ConversationHistory>>();
  /** Conversation → the notice that told me I was removed from it, while it may still be showing. */
  private readonly removals = new Map<string, string>();
  /** The words of every kept message, for search: in the same encrypted store as the history. */
  private readonly searchIndex: SearchIndex;

  private constructor(
    readonly config: WebConfig,
    readonly session: Session,
    readonly e2ee: E2eeClient,
    private readonly store: StateStore,
    private readonly shelf: BlobShelf,
    api: ApiClient,
    me: PublicProfile,
    deviceId: string,
  ) {
    this.api = api;
    this.searchIndex = new SearchIndex(store);
    this.state = {
      me,
      deviceId,
      status: 'connecting',
      conversations: [],
      messages: {},
      earlier: {},
      users: { [me.userId]: me },
      friends: [],
      presence: {},
      typing: {},
      outbox: [],
      transfers: {},
      files: {},
      fileErrors: {},
      preparing: {},
      devicesVersion: 0,
      keysVersion: 0,
      revoked: false,
      sessionEnded: false,
    };
  }

  /**
   * Signs this browser in as a device: the first time it makes the device's keys (`onStep` tells the
   * screen), registers it and uploads key packages. A returning browser asks for its profile, opens its
   * device and lists its conversations and friends at once: start-up is a chain of round trips otherwise.
   */
  static async start(
    config: WebConfig,
    session: Session,
    onStep: (step: string) => void,
  ): Promise<ChatModel> {
    const api = createApiClient({ baseUrl: config.httpApiUrl, accessToken: () => session.accessToken() });
    const userId = session.userId;
    const deviceKey = DEVICE_ID_KEY(userId);
    let deviceId = localStorage.getItem(deviceKey);
    const profile = api.getMe();
    if (deviceId === null) {
      // A new user's first request makes their profile: the rest waits for it.
      onStep('Loading your profile…');
      await profile;
      deviceId = `web-${crypto.randomUUID().slice(0, 8)}`;
      localStorage.setItem(deviceKey, deviceId);
      onStep('Creating this browser’s encryption keys…');
    } else {
      onStep('Loading your conversations…');
    }
    const store = await openDeviceStore(userId);
    let model: ChatModel | undefined;
    const pending: ChatEvent[][] = [];
    const browserDevice = deviceId;
    const device = E2eeClient.open({
      api,
      userId,
      deviceId,
      store,
      deviceName: thisBrowserName(),
      // Over the socket once it is open; until then (and when it fails) over HTTP, naming this device.
      postMessage: (conversationId, body) =>
        model
          ? model.post(conversationId, body)
          : api.postMessage({ params: { conversationId }, body: { ...body, deviceId: browserDevice } }),
      // Awaited before the device stores its state past these events: what it read is kept first.
      onEvents: async (events) => {
        if (model) await model.apply(events);
        else pending.push([...events]);
      },
      onRevoked: () => model?.markRevoked(),
    }).catch(async (error: unknown) => {
      // Revoked while this browser was closed: forget it, and sign out of this browser.
      if (error instanceof DeviceRevokedError) await forgetBrowser(userId, session);
      throw error;
    });
    const lists = Promise.all([listAllConversations(api), listAllFriends(api)]);
    const [me, e2ee, [conversations, friends], shelf] = await Promise.all([
      profile,
      device,
      lists,
      openBlobShelf(userId),
    ]);
    performance.mark('parley:device-open');
    model = new ChatModel(config, session, e2ee, store, shelf, api, me, deviceId);
    await model.load(conversations, friends);
    for (const events of pending) await model.apply(events);
    model.connect();
    return model;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.state = { ...this.state };
    for (const listener of this.listeners) listener();
  }

  notify(notice: string | undefined): void {
    this.state.notice = notice;
    this.changed();
  }

  /** Shows the conversations and friends, each conversation's newest stored history, and presence. */
  private async load(conversations: ConversationSummary[], friends: Friend[]): Promise<void> {
    this.state.friends = friends;
    for (const friend of friends) this.state.users[friend.user.userId] = friend.user;
    this.state.conversations = conversations.map((c) => ({ ...c, receipts: {} }));
    for (const c of conversations) this.heardMine(c);
    // Only the newest chunk or two of each: older pages are read when the person scrolls up to them.
    const [outbox] = await Promise.all([
      this.store.get(OUTBOX),
      this.loadPresence(),
      ...conversations.map((c) => this.showHistory(c.conversationId)),
    ]);
    this.state.outbox = outbox ? decode<OutboxItem[]>(outbox) : [];
    this.sortConversations();
    this.changed();
  }

  private async loadPresence(only?: readonly string[]): Promise<void> {
    const everyone = [
      ...this.state.conversations.flatMap((c) => c.memberIds),
      ...this.state.friends.map((f) => f.user.userId),
    ];
    const userIds = [...new Set((only ?? everyone).filter((id) => id !== this.state.me.userId))].slice(
      0,
      100,
    );
    if (userIds.length === 0) return;
    try {
      const { items } = await this.api.getPresence({ query: { userIds: userIds.join(',') } });
      for (const p of items) this.state.presence[p.userId] = p;
    } catch {
      // Presence is a nicety: the chat works without it.
    }
  }

  private connect(): void {
    // The socket names this browser's device, so what it posts over HTTP is not pushed back to it.
    const url = new URL(this.config.webSocketUrl);
    url.searchParams.set('deviceId', this.state.deviceId);
    this.socket = new ChatSocket(url.toString(), (options) => this.tokenFor(options), {
      frame: (frame) => void this.onFrame(frame),
      open: () => {
        void this.resume();
        // Pushes reach a new socket only after a moment: what came in between is read then.
        clearTimeout(this.catchUpTimer);
        this.catchUpTimer = setTimeout(() => void this.catchUp(), NEW_CONNECTION_PUSHED_WITHIN_IN_MS + 500);
      },
      status: (status) => {
        this.state.status = status;
        this.changed();
      },
    });
  }

  /** The socket's token; a session the server ended stops the socket and tells the screens. */
  private async tokenFor(options: { fresh: boolean }): Promise<string> {
    try {
      return await this.session.accessToken(options);
    } catch (error) {
      if (error instanceof SessionEndedError) this.markSessionEnded();
      throw error;
    }
  }

  /** On every (re)connection: catch up every conversation from where this device stopped, then send the outbox. */
  private async resume(): Promise<void> {
    try {
      const fresh = await listAllConversations(this.api);
      const known = new Map(this.state.conversations.map((c) => [c.conversationId, c]));
      this.state.conversations = fresh.map((c) => ({
        ...known.get(c.conversationId),
        // Settings the server no longer names were unset on another device meanwhile.
        ...UNSET_SETTINGS,
        ...c,
        receipts: known.get(c.conversationId)?.receipts ?? {},
      }));
      for (const c of fresh) {
        this.heardMine(c);
        const view = this.find(c.conversationId);
        const mine = view?.receipts[this.state.me.userId]?.read ?? 0;
        if (view && mine > c.read) view.unread = this.unreadAfter(c.conversationId, mine, c.lastSeq);
      }
      await Promise.all(
        fresh
          .filter((c) => !this.histories.has(c.conversationId))
          .map((c) => this.showHistory(c.conversationId)),
      );
      for (const c of fresh) this.memberAgain(c.conversationId);
      this.sortConversations();
      this.changed();
      // Beside the catching up, not before it: a name can come a moment after the messages.
      void this.learnMembers();
      for (const c of fresh) await this.e2ee.sync(c.conversationId);
      await this.flushOutbox();
      // Groups in line with members and devices changed while away, and the weekly self-updates.
      await this.e2ee.reconcileAll();
    } catch (error) {
      this.notify(describeError(error));
    }
  }

  private catchUpTimer: ReturnType<typeof setTimeout> | undefined;

  /** Reads the conversations whose log moved past what this browser has: messages no push brought. */
  private async catchUp(): Promise<void> {
    try {
      const fresh = await listAllConversations(this.api);
      const behind = fresh.filter((c) => c.lastSeq > (this.find(c.conversationId)?.lastSeq ?? 0));
      for (const c of behind) await this.e2ee.sync(c.conversationId);
    } catch {
      // The next push or reconnection reads it: nothing to tell the person.
    }
  }

  private async onFrame(frame: OutboundFrame): Promise<void> {
    try {
      switch (frame.type) {
        case 'message':
        case 'message-ref':
        case 'welcome':
          await this.e2ee.handlePush(frame);
          if (frame.type === 'message')
            this.bump(frame.conversationId, frame.seq, frame.sentAt, frame.senderId, frame.kind);
          return;
        case 'conversation': {
          const me = this.state.me.userId;
          if (frame.memberIds.includes(me)) {
            await this.refresh(frame.conversationId);
          } else {
            const title = frame.name ?? 'the group';
            if (this.find(frame.conversationId) && frame.actorId !== me) {
              const notice = `${this.nameOf(frame.actorId)} removed you from ${title}.`;
              this.removals.set(frame.conversationId, notice);
              this.notify(notice);
            }
            this.drop(frame.conversationId);
          }
          await this.e2ee.handlePush(frame);
          return;
        }
        case 'deleted':
          await this.record(frame.conversationId, [{ kind: 'change', seq: frame.seq, change: markDeleted }]);
          this.changed();
          return;
        case 'receipt': {
          const conversation = this.find(frame.conversationId);
          if (conversation) {
            // Pushes may arrive out of order or twice: a mark only moves forward.
            const marks = raiseMarks(conversation.receipts[frame.userId], frame);
            conversation.receipts[frame.userId] = marks;
            if (frame.userId === this.state.me.userId) {
              conversation.unread = Math.max(0, conversation.lastSeq - marks.read);
              this.heardMine(frame);
            }
            this.changed();
          }
          return;
        }
        case 'presence':
          this.state.presence[frame.userId] = {
            online: frame.online,
            ...(frame.lastSeenAt ? { lastSeenAt: frame.lastSeenAt } : {}),
          };
          this.changed();
          return;
        case 'typing': {
          const typing = this.state.typing[frame.conversationId] ?? {};
          this.state.typing[frame.conversationId] = typing;
          if (frame.state === 'start') {
            typing[frame.userId] = Date.now() + TYPING_SHOWN_FOR_IN_MS;
            // A lost or overtaken `stop` must not leave it showing: it ends on its own, redraw or not.
            setTimeout(() => this.expireTyping(), TYPING_SHOWN_FOR_IN_MS + 50);
          } else delete typing[frame.userId];
          this.changed();
          return;
        }
        case 'profile':
          this.heardProfile(frame.user);
          return;
        case 'friend': {
          // Pushes travel as separate jobs and may arrive out of order ("accepted" before "requested"):
          // show the push at once, then take the server's list as the truth.
          this.friendPushes++;
          this.state.users[frame.user.userId] = frame.user;
          this.state.friends = this.state.friends.filter((f) => f.user.userId !== frame.user.userId);
          if (frame.state) {
            this.state.friends.push({
              user: frame.user,
              state: frame.state,
              since: new Date().toISOString(),
            });
          }
          this.changed();
          await this.reloadFriends();
          // A new friend may see my presence, and I theirs, from now on; a former one no longer.
          if (this.state.friends.some((f) => f.user.userId === frame.user.userId && f.state === 'friend')) {
            await this.loadPresence([frame.user.userId]);
          } else {
            delete this.state.presence[frame.user.userId];
          }
          this.changed();
          return;
        }
        case 'settings': {
          const conversation = this.find(frame.conversationId);
          if (conversation) {
            applySettings(conversation, frame);
            this.changed();
          }
          return;
        }
        case 'device':
          if (frame.userId === this.state.me.userId) this.state.devicesVersion++;
          this.state.keysVersion++;
          this.changed();
          await this.e2ee.handlePush(frame);
          return;
        default:
          // Replies to frames this client sent need nothing.
          return;
      }
    } catch (error) {
      this.notify(describeError(error));
    }
  }

  /**
   * I am (again) a member of a conversation: a notice that I was removed from it no longer applies, so it
   * goes, unless another notice has replaced it.
   */
  private memberAgain(conversationId: string): void {
    const notice = this.removals.get(conversationId);
    if (notice === undefined) return;
    this.removals.delete(conversationId);
    if (this.state.notice === notice) this.state.notice = undefined;
  }

  /**
   * Reads the details of the direct chats whose other member this browser has no profile of (no longer a
   * friend, say): the conversation's member list carries their profile, so the chat keeps their name.
   */
  private async learnMembers(): Promise<void> {
    const unknown = this.state.conversations.filter(
      (c) => c.kind === 'direct' && c.memberIds.some((id) => this.state.users[id] === undefined),
    );
    await Promise.all(unknown.map((c) => this.refresh(c.conversationId)));
  }

  private drop(conversationId: string): void {
    this.state.conversations = this.state.conversations.filter((c) => c.conversationId !== conversationId);
    this.changed();
  }

  /** Reloads a conversation's details (members, name, receipts) into the list. */
  async refresh(conversationId: string): Promise<void> {
    const frame = { conversationId };
    try {
      const detail = await this.api.getConversation({ params: { conversationId: frame.conversationId } });
      for (const m of detail.members) this.state.users[m.user.userId] = m.user;
      const existing = this.find(frame.conversationId);
      const view: ConversationView = {
        ...(existing ?? { unread: 0, receipts: {} }),
        ...detail,
        memberIds: detail.members.map((m) => m.user.userId),
        // A push applied meanwhile may be ahead of this read.
        receipts: Object.fromEntries(
          detail.members.map((m) => [m.user.userId, raiseMarks(existing?.receipts[m.user.userId], m)]),
        ),
      } as ConversationView;
      // The server's unread count is behind when this browser's read mark has not reached it yet.
      const mine = view.receipts[this.state.me.userId]?.read ?? 0;
      if (mine > detail.read) view.unread = this.unreadAfter(frame.conversationId, mine, view.lastSeq);
      this.state.conversations = [
        view,
        ...this.state.conversations.filter((c) => c.conversationId !== frame.conversationId),
      ];
      if (!this.histories.has(frame.conversationId)) await this.showHistory(frame.conversationId);
      this.memberAgain(frame.conversationId);
      this.sortConversations();
      this.changed();
    } catch (error) {
      this.notify(describeError(error));
    }
  }

  /** Applies what the E2EE client read, in order, and keeps it (encrypted) for the next visit. */
  private async apply(events: readonly ChatEvent[]): Promise<void> {
    const changes = new Map<string, HistoryChange[]>();
    const push = (conversationId: string, change: HistoryChange) => {
      const list = changes.get(conversationId);
      if (list) list.push(change);
      else changes.set(conversationId, [change]);
    };
    for (const event of events) {
      switch (event.kind) {
        case 'message': {
          // Their message is what they were typing: whatever typing frame is still on its way.
          delete this.state.typing[event.conversationId]?.[event.senderId];
          // A payload that breaks the schema (a hostile or newer sender) shows as text, never half-read.
          const payload: Payload = parseMessagePayload(event.plaintext) ?? {
            // Cut by code point, so no emoji is split into a lone surrogate.
            text: Array.from(new TextDecoder().decode(event.plaintext))
              .slice(0, MAX_MESSAGE_TEXT_LENGTH)
              .join(''),
          };
          if (event.messageKind === 'edit' && event.refSeq !== undefined) {
            push(event.conversationId, {
              kind: 'change',
              seq: event.refSeq,
              change: (m) => {
                if (m.senderId !== event.senderId) return;
                m.text = payload.text ?? m.text;
                m.edited = true;
              },
            });
          } else if (event.messageKind === 'reaction' && event.refSeq !== undefined) {
            push(event.conversationId, {
              kind: 'change',
              seq: event.refSeq,
              change: (m) => {
                const emoji = payload.emoji ?? '👍';
                const users = new Set(m.reactions[emoji] ?? []);
                if (users.has(event.senderId)) users.delete(event.senderId);
                else users.add(event.senderId);
                m.reactions[emoji] = [...users];
                if (users.size === 0) delete m.reactions[emoji];
              },
            });
          } else {
            push(event.conversationId, {
              kind: 'add',
              message: {
                seq: event.seq,
                messageId: event.messageId,
                senderId: event.senderId,
                sentAt: event.sentAt,
                text: payload.text ?? '',
                ...(payload.attachments ? { attachments: [...payload.attachments] } : {}),
                reactions: {},
                ...(event.messageKind === 'reply' && event.refSeq !== undefined
                  ? { replyTo: event.refSeq }
                  : {}),
              },
            });
          }
          break;
        }
        case 'undecryptable':
          push(event.conversationId, {
            kind: 'add',
            message: {
              seq: event.seq,
              messageId: event.messageId,
              senderId: event.senderId,
              sentAt: '',
              text: '',
              reactions: {},
              undecryptable: event.reason,
            },
          });
          break;
        case 'deleted':
          push(event.conversationId, { kind: 'change', seq: event.seq, change: markDeleted });
          break;
        case 'group-event':
          push(event.conversationId, { kind: 'add', message: groupEventView(event) });
          break;
        default:
          break;
      }
    }
    // Each write waits on the same opening of its history, then queues there: a batch that follows this one,
    // even while this one is still being written, is written after it.
    const written = await Promise.allSettled(
      [...changes].map(([conversationId, list]) => this.record(conversationId, list)),
    );
    const failed = written.find((result) => result.status === 'rejected');
    if (failed) {
      console.error('Keeping the history failed', { error: failed.reason });
      this.notify('This browser could not keep the latest messages: they may be missing after a reload.');
    }
    this.changed();
    // What reached this browser is delivered, read or not (a message it cannot decrypt reached it too).
    const reached = new Map<string, number>();
    for (const event of events) {
      if (
        (event.kind !== 'message' && event.kind !== 'undecryptable') ||
        event.senderId === this.state.me.userId
      )
        continue;
      reached.set(event.conversationId, Math.max(reached.get(event.conversationId) ?? 0, event.seq));
    }
    await Promise.all([...reached].map(([conversationId, seq]) => this.markDelivered(conversationId, seq)));
  }

  private historyOf(conversationId: string): Promise<ConversationHistory> {
    let history = this.histories.get(conversationId);
    if (history === undefined) {
      history = ConversationHistory.open(this.store, conversationId);
      this.histories.set(conversationId, history);
    }
    return history;
  }

  /** Reads a conversation's newest messages from the store into the state. */
  private async showHistory(conversationId: string): Promise<void> {
    this.show(await this.historyOf(conversationId));
  }

  private show(history: ConversationHistory): void {
    this.state.messages[history.conversationId] = history.messages;
    this.state.earlier[history.conversationId] = history.hasEarlier;
    this.refreshPreview(history.conversationId);
  }

  /** Applies changes to a conversation's history and keeps them; the caller tells the screens. */
  private async record(conversationId: string, changes: readonly HistoryChange[]): Promise<void> {
    const history = await this.historyOf(conversationId);
    const written = await history.write(changes);
    this.show(history);
    // Kept beside the history, before the device moves past these events; the history is the truth, so a
    // failure here costs only a missing search result.
    await this.searchIndex
      .update(conversationId, written)
      .catch((error: unknown) =>
        console.warn('Indexing messages for search failed', { conversationId, error }),
      );
  }

  private find(conversationId: string): ConversationView | undefined {
    return this.state.conversations.find((c) => c.conversationId === conversationId);
  }

  private bump(conversationId: string, seq: number, sentAt: string, senderId: string, kind: string): void {
    const conversation = this.find(conversationId);
    // A commit and a logged group event are lines of the log, not messages: nothing unread.
    if (!conversation || kind === 'commit' || kind === 'event') return;
    conversation.lastSeq = Math.max(conversation.lastSeq, seq);
    conversation.lastActivityAt = sentAt;
    // Already read when the screen showed it before this push was counted: not unread.
    const read = conversation.receipts[this.state.me.userId]?.read ?? 0;
    if (senderId !== this.state.me.userId && seq > read) conversation.unread += 1;
    this.sortConversations();
    this.changed();
  }

  private refreshPreview(conversationId: string): void {
    const conversation = this.find(conversationId);
    const last = this.state.messages[conversationId]?.findLast((m) => !m.undecryptable && !m.event);
    if (conversation && last) conversation.preview = last.deleted ? 'Message deleted' : previewOf(last);
  }

  private sortConversations(): void {
    this.state.conversations = newestFirst(this.state.conversations);
  }

  // Actions -------------------------------------------------------------------------------------------------

  /** Sends (or, offline, queues) a message; edits, replies and reactions name the `seq` they refer to. */
  async send(
    conversationId: string,
    text: string,
    options: { kind?: 'reply' | 'edit' | 'reaction'; refSeq?: number } = {},
  ): Promise<void> {
    const item: OutboxItem = { conversationId, messageId: crypto.randomUUID(), text, ...options };
    this.state.outbox = [...this.state.outbox, item];
    await this.store.put(OUTBOX, encode(this.state.outbox));
    this.changed();
    if (this.state.status === 'online') await this.flushOutbox();
  }

  /** Aborts the running upload of each message id. */
  private readonly uploads = new Map<string, AbortController>();

  /**
   * Sends a file as a message of its own, its caption beside it: checked against the size limit before
   * anything else, encrypted here with a fresh key, put in the outbox (the ciphertext on the blob shelf,
   * so a reload keeps it), then uploaded and sent as soon as the connection allows. A voice note names its
   * length, as its recording measured it.
   */
  async sendFile(
    conversationId: string,
    file: File,
    caption: string,
    options: { voice?: boolean; durationMs?: number; kind?: 'reply'; refSeq?: number } = {},
  ): Promise<void> {
    if (file.size > MAX_ATTACHMENT_FILE_SIZE_IN_BYTES) {
      throw new AttachmentTooLargeError(
        `${file.name || 'This file'} is ${sizeInWords(file.size)}: files up to ${MAX_FILE_SIZE_IN_WORDS} can be sent`,
      );
    }
    const messageId = crypto.randomUUID();
    const localId = `outbox/${messageId}`;
    this.state.preparing = { ...this.state.preparing, [messageId]: { conversationId, name: file.name } };
    this.progress(messageId, { done: 0, total: file.size });
    let encrypted: EncryptedAttachment;
    let facts: FileFacts;
    try {
      [facts, encrypted] = await Promise.all([
        factsOf(file, options),
        encryptAttachment(file, {
          onProgress: (done, total) => this.progress(messageId, { done, total }),
        }),
      ]);
      await this.shelf.put(localId, encrypted.ciphertext);
    } finally {
      delete this.state.transfers[messageId];
      const { [messageId]: _done, ...others } = this.state.preparing;
      this.state.preparing = others;
      this.changed();
    }
    // The sender sees the file from what it picked, at once and without downloading it back.
    const local = URL.createObjectURL(file);
    this.localFiles.set(messageId, local);
    const { key, sha256, size, chunkSize } = encrypted;
    const item: OutboxItem = {
      conversationId,
      messageId,
      text: caption,
      ...(options.kind ? { kind: options.kind, refSeq: options.refSeq } : {}),
      attachment: { localId, facts, key, sha256, size, chunkSize },
    };
    this.state.outbox = [...this.state.outbox, item];
    await this.store.put(OUTBOX, encode(this.state.outbox));
    this.changed();
    if (this.state.status === 'online') await this.flushOutbox();
  }

  /** Message id → an object URL of the file this tab picked for it, until its attachment id is known. */
  private readonly localFiles = new Map<string, string>();

  /** The local preview of a queued file, while it waits or uploads. */
  localFileOf(messageId: string): string | undefined {
    return this.localFiles.get(messageId);
  }

  private progress(key: string, transfer: Transfer): void {
    // Redrawn once per whole percent: a 100 MB file reports 1,600 chunks.
    const percentOf = (t: Transfer | undefined) =>
      t && t.total > 0 ? Math.floor((t.done / t.total) * 100) : -1;
    const before = percentOf(this.state.transfers[key]);
    this.state.transfers = { ...this.state.transfers, [key]: transfer };
    if (percentOf(transfer) !== before) this.changed();
  }

  /** Takes a message out of the outbox, unsent: a queued text, a failed one, a file (its upload stopped). */
  async removeQueued(messageId: string): Promise<void> {
    this.uploads.get(messageId)?.abort();
    const item = this.state.outbox.find((o) => o.messageId === messageId);
    this.state.outbox = this.state.outbox.filter((o) => o.messageId !== messageId);
    delete this.state.transfers[messageId];
    await this.store.put(OUTBOX, encode(this.state.outbox));
    if (item?.attachment) await this.shelf.delete(item.attachment.localId);
    this.changed();
  }

  /** Tries a failed message again, under its first message id: the server stores it once, however often tried. */
  async retryQueued(messageId: string): Promise<void> {
    this.state.outbox = this.state.outbox.map((o) => {
      if (o.messageId !== messageId) return o;
      const { failed: _failed, ...again } = o;
      return again;
    });
    await this.store.put(OUTBOX, encode(this.state.outbox));
    this.changed();
    if (this.state.status === 'online') await this.flushOutbox();
  }

  /** Uploads a queued file's ciphertext once; the outbox then remembers its attachment id. */
  private async uploadQueued(
    item: OutboxItem & { attachment: PendingAttachment },
  ): Promise<PendingAttachment> {
    if (item.attachment.attachmentId) return item.attachment;
    const ciphertext = await this.shelf.get(item.attachment.localId);
    if (!ciphertext) throw new UploadLostError();
    const controller = new AbortController();
    this.uploads.set(item.messageId, controller);
    try {
      const attachmentId = await uploadAttachment(
        this.api,
        item.conversationId,
        { ciphertext, size: item.attachment.size },
        {
          signal: controller.signal,
          onProgress: (done, total) => this.progress(item.messageId, { done, total }),
        },
      );
      const uploaded = { ...item.attachment, attachmentId };
      this.state.outbox = this.state.outbox.map((o) =>
        o.messageId === item.messageId ? { ...o, attachment: uploaded } : o,
      );
      await this.store.put(OUTBOX, encode(this.state.outbox));
      return uploaded;
    } finally {
      this.uploads.delete(item.messageId);
      delete this.state.transfers[item.messageId];
    }
  }

  /**
   * Downloads and decrypts an attachment once, keeping an object URL of it for this tab; progress and a
   * failure show in `transfers` and `fileErrors`. Resolves to the URL, or undefined when it failed.
   */
  async fetchFile(conversationId: string, attachment: AttachmentDescriptor): Promise<string | undefined> {
    const known = this.state.files[attachment.id];
    if (known) return known;
    let running = this.downloads.get(attachment.id);
    if (!running) {
      delete this.state.fileErrors[attachment.id];
      this.progress(attachment.id, { done: 0, total: attachment.size });
      running = downloadAttachment(this.api, conversationId, attachment, {
        onProgress: (done, total) => this.progress(attachment.id, { done, total }),
      })
        .then((blob) => {
          const url = URL.createObjectURL(blob);
          this.state.files = { ...this.state.files, [attachment.id]: url };
          return url;
        })
        .catch((error: unknown) => {
          this.state.fileErrors = {
            ...this.state.fileErrors,
            [attachment.id]:
              error instanceof ApiError && error.code === ErrorCode.NotFound
                ? 'This file was deleted.'
                : 'The file could not be downloaded. Try again.',
          };
          console.warn('An attachment could not be downloaded', { attachmentId: attachment.id, error });
          return undefined;
        })
        .finally(() => {
          this.downloads.delete(attachment.id);
          delete this.state.transfers[attachment.id];
          this.changed();
        });
      this.downloads.set(attachment.id, running);
    }
    return running;
  }

  private readonly downloads = new Map<string, Promise<string | undefined>>();

  /**
   * Posts a message over the open socket: the server answers with an `ack`, and pushes no copy back to
   * this tab. When the socket is closed, closes or stays silent, the same message goes over HTTP (the same
   * `messageId`, so it is never stored twice), naming this device so its socket gets no copy either.
   */
  readonly post: PostMessage = async (conversationId, body) => {
    const requestId = `send-${body.messageId}`.slice(0, 64);
    try {
      const reply = await this.requireSocket().request(
        { ...sendFrame({ conversationId, ...body }), requestId },
        SOCKET_SEND_ANSWER_WITHIN_MS,
      );
      if (reply.type === 'ack') {
        return {
          conversationId: reply.conversationId,
          messageId: reply.messageId,
          seq: reply.seq,
          sentAt: reply.sentAt,
        };
      }
      if (reply.type === 'error') {
        throw new ApiError({
          routeId: 'postMessage',
          status: HTTP_STATUS_BY_CODE[reply.code],
          code: reply.code,
          detail: reply.message,
          requestId: reply.requestId,
          retryAfterSeconds: reply.retryAfterSeconds,
        });
      }
    } catch (error) {
      if (!(error instanceof NoReplyError)) throw error;
    }
    return this.api.postMessage({
      params: { conversationId },
      body: { ...body, deviceId: this.state.deviceId },
    });
  };

  private requireSocket(): ChatSocket {
    if (!this.socket) throw new NoReplyError('Not connected yet');
    return this.socket;
  }

  private flushing: Promise<void> | undefined;
  private flushLater: ReturnType<typeof setTimeout> | undefined;

  private nextToSend(): OutboxItem | undefined {
    return this.state.outbox.find((item) => item.failed === undefined);
  }

  private async flushOutbox(): Promise<void> {
    this.flushing ??= (async () => {
      // A failed item waits for the person (retry or remove); the ones after it go on.
      for (let item = this.nextToSend(); item; item = this.nextToSend()) {
        try {
          const attachment = item.attachment
            ? await this.uploadQueued(item as OutboxItem & { attachment: PendingAttachment })
            : undefined;
          const payload: Payload =
            item.kind === 'reaction'
              ? { emoji: item.text }
              : {
                  ...(item.text ? { text: item.text } : {}),
                  ...(attachment ? { attachments: [descriptorOf(attachment)] } : {}),
                };
          const plaintext = encodeMessagePayload(payload);
          if (!plaintext) throw new PayloadRefusedError(attachment !== undefined);
          await this.e2ee.send(item.conversationId, plaintext, {
            messageId: item.messageId,
            ...(item.kind ? { kind: item.kind } : {}),
            ...(item.refSeq !== undefined ? { refSeq: item.refSeq } : {}),
            ...(attachment?.attachmentId ? { attachmentIds: [attachment.attachmentId] } : {}),
          });
          if (attachment?.attachmentId) {
            const local = this.localFiles.get(item.messageId);
            if (local) this.state.files = { ...this.state.files, [attachment.attachmentId]: local };
            await this.shelf.delete(attachment.localId);
          }
        } catch (error) {
          if (error instanceof UploadCancelledError) continue;
          // Another request with this message id (an earlier try that went quiet) is still storing it: its
          // answer comes to whichever asks next, so ask again shortly rather than give the message up.
          if (error instanceof ApiError && error.code === ErrorCode.SendInProgress) {
            clearTimeout(this.flushLater);
            const wait = (error.retryAfterSeconds ?? 0) * 1000 || SEND_IN_PROGRESS_RETRY_IN_MS;
            this.flushLater = setTimeout(() => void this.flushOutbox(), wait);
            return;
          }
          // What this browser cannot send as it is (too long, its file gone) waits for the person, too.
          const refusedHere = error instanceof PayloadRefusedError || error instanceof UploadLostError;
          const retryable =
            !refusedHere &&
            (!(error instanceof ApiError) || error.status >= 500 || error.code === ErrorCode.RateLimited);
          if (retryable) {
            this.notify(describeError(error));
            return;
          }
          if (item.kind === 'reaction') {
            // A tap, not words: nothing to keep, and a tap again tries again.
            this.notify(describeError(error));
          } else {
            // Refused (blocked, over an allowance, too long): the message stays where it was written, marked
            // with why, its text and file kept, until the person retries, edits or deletes it.
            const failed = whyNotSent(error, this.find(item.conversationId));
            const id = item.messageId;
            this.state.outbox = this.state.outbox.map((o) => (o.messageId === id ? { ...o, failed } : o));
            await this.store.put(OUTBOX, encode(this.state.outbox));
            this.changed();
            continue;
          }
        }
        const sent = item.messageId;
        this.state.outbox = this.state.outbox.filter((o) => o.messageId !== sent);
        await this.store.put(OUTBOX, encode(this.state.outbox));
        this.changed();
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /**
   * Reads the page before the loaded messages of a conversation from this browser's store into
   * `state.messages`; resolves to whether older ones remain.
   */
  async loadEarlier(conversationId: string): Promise<boolean> {
    const history = await this.historyOf(conversationId);
    const more = await history.loadEarlier();
    this.show(history);
    this.changed();
    return more;
  }

  /**
   * Searches the messages this browser keeps, in every conversation, newest first, at most `limit` (whether
   * there are more says `more`). Offline too: nothing leaves the browser. A history kept before the index
   * existed is indexed on the first search.
   */
  searchMessages(query: string, limit: number): Promise<SearchResults> {
    const conversationIds = this.state.conversations.map((c) => c.conversationId);
    return searchMessages(this.searchIndex, (id) => this.historyOf(id), conversationIds, query, limit);
  }

  /** Reads earlier pages of a conversation until the message `seq` is loaded; resolves to whether it is kept. */
  async loadUntil(conversationId: string, seq: number): Promise<boolean> {
    const history = await this.historyOf(conversationId);
    while ((history.messages[0]?.seq ?? 0) > seq && (await history.loadEarlier()));
    this.show(history);
    this.changed();
    return history.messages.some((m) => m.seq === seq);
  }

  async deleteMessage(conversationId: string, seq: number): Promise<void> {
    await this.api.deleteMessage({ params: { conversationId, seq } });
  }

  /**
   * Marks everything up to `upTo` (by default the newest) read, here at once and on the server at most once a second per
   * conversation (the latest marks): a busy conversation would otherwise spend the user's `write` allowance,
   * which device registration at the next start also draws on.
   */
  async markRead(conversationId: string, upTo?: number): Promise<void> {
    const conversation = this.find(conversationId);
    const messages = this.state.messages[conversationId] ?? [];
    // Up to the newest entry: edits and reactions are shown in place, past the newest message.
    const newest = Math.max(conversation?.lastSeq ?? 0, messages.at(-1)?.seq ?? 0);
    const last = upTo === undefined ? newest : Math.min(upTo, newest);
    if (!conversation || last === 0 || (conversation.receipts[this.state.me.userId]?.read ?? 0) >= last)
      return;
    // What is still below what the person saw stays unread.
    conversation.unread = this.unreadAfter(conversationId, last, newest);
    this.raiseMine(conversation, { delivered: last, read: last });
    this.changed();
    await this.queueReceipt(conversationId);
  }

  /**
   * Marks what reached this browser delivered, so the sender's tick turns from Sent to Delivered before the
   * person opens the chat; sent with the same once-a-second pacing as read marks.
   */
  private async markDelivered(conversationId: string, seq: number): Promise<void> {
    const conversation = this.find(conversationId);
    if (!conversation || (conversation.receipts[this.state.me.userId]?.delivered ?? 0) >= seq) return;
    this.raiseMine(conversation, { delivered: seq, read: 0 });
    // A moment's wait: when the chat is open, the read mark follows at once and one receipt carries both.
    setTimeout(() => void this.queueReceipt(conversationId), DELIVERED_JOINS_READ_WITHIN_IN_MS);
  }

  /** Changes my display name or username (a taken username is refused), here and for whoever shows it. */
  async updateProfile(patch: { displayName?: string; username?: string }): Promise<void> {
    const me = await this.api.updateMe({ body: patch });
    this.heardProfile({ userId: me.userId, username: me.username, displayName: me.displayName });
  }

  /** A profile as it is now, mine or someone else's, wherever it shows. */
  private heardProfile(user: PublicProfile): void {
    this.state.users[user.userId] = user;
    this.state.friends = this.state.friends.map((f) => (f.user.userId === user.userId ? { ...f, user } : f));
    if (user.userId === this.state.me.userId) this.state.me = user;
    this.changed();
  }

  /** Others' messages after `read`, as far as this browser has them: none once `read` is the newest. */
  private unreadAfter(conversationId: string, read: number, newest: number): number {
    if (read >= newest) return 0;
    return (this.state.messages[conversationId] ?? []).filter(
      (m) => m.seq > read && m.senderId !== this.state.me.userId && !m.undecryptable && !m.event,
    ).length;
  }

  private raiseMine(conversation: ConversationView, marks: Marks): void {
    const me = this.state.me.userId;
    conversation.receipts[me] = raiseMarks(conversation.receipts[me], marks);
  }

  /** Takes the marks the server reported as mine: already there, so never sent again from here. */
  private heardMine(marks: { conversationId: string; delivered: number; read: number }): void {
    const conversation = this.find(marks.conversationId);
    if (conversation) this.raiseMine(conversation, marks);
    this.sentMarks.set(marks.conversationId, raiseMarks(this.sentMarks.get(marks.conversationId), marks));
  }

  /** Sends my marks now, or when the second since the last sending is over. */
  private async queueReceipt(conversationId: string): Promise<void> {
    const pending = this.receipts.get(conversationId);
    if (pending === 'due') return;
    if (pending === 'recent') {
      // One was sent less than a second ago: the next goes when that second is over, with the latest marks.
      this.receipts.set(conversationId, 'due');
      return;
    }
    await this.sendReceipt(conversationId);
  }

  /** Sends my marks for a conversation when they moved past what the server has, then keeps the next back for a second. */
  private async sendReceipt(conversationId: string): Promise<void> {
    const mine = this.find(conversationId)?.receipts[this.state.me.userId];
    const sent = this.sentMarks.get(conversationId);
    if (!mine || (sent && mine.delivered <= sent.delivered && mine.read <= sent.read)) return;
    this.receipts.set(conversationId, 'recent');
    setTimeout(() => {
      const due = this.receipts.get(conversationId) === 'due';
      this.receipts.delete(conversationId);
      if (due) void this.sendReceipt(conversationId);
    }, RECEIPT_INTERVAL_IN_MS);
    const marks = {
      delivered: mine.delivered,
      ...(mine.read > (sent?.read ?? 0) ? { read: mine.read } : {}),
    };
    this.sentMarks.set(
      conversationId,
      raiseMarks(sent, { delivered: marks.delivered, read: marks.read ?? 0 }),
    );
    if (!this.socket?.send(receiptFrame({ conversationId, ...marks }))) {
      await this.api
        .updateReceipts({ params: { conversationId }, body: marks })
        .catch(() => this.sentMarks.set(conversationId, sent ?? { delivered: 0, read: 0 }));
    }
  }

  /** Drops typing indicators past their time. */
  private expireTyping(): void {
    const now = Date.now();
    let expired = false;
    for (const typing of Object.values(this.state.typing)) {
      for (const [userId, until] of Object.entries(typing)) {
        if (until > now) continue;
        delete typing[userId];
        expired = true;
      }
    }
    if (expired) this.changed();
  }

  /** Tells the other members I am typing, at most every 3 s. */
  typing(conversationId: string, state: 'start' | 'stop'): void {
    const last = this.typingSent.get(conversationId) ?? 0;
    if (state === 'start' && Date.now() - last < 3_000) return;
    this.typingSent.set(conversationId, state === 'start' ? Date.now() : 0);
    this.socket?.send(typingFrame({ conversationId, state }));
  }

  /**
   * Pins, archives, mutes or marks unread a conversation, for this user on every device; `false` when it
   * was refused (the reason is the notice). More than {@link MAX_PINNED_CONVERSATIONS} pins are refused
   * here before the server would.
   */
  async changeSettings(
    conversationId: string,
    change: { pinned?: boolean; archived?: boolean; mutedUntil?: string | null; markedUnread?: boolean },
  ): Promise<boolean> {
    const pinRefused = `You can pin up to ${MAX_PINNED_CONVERSATIONS} chats. Unpin one to pin this one.`;
    const pinned = this.state.conversations.filter((c) => c.pinned && c.conversationId !== conversationId);
    if (change.pinned && pinned.length >= MAX_PINNED_CONVERSATIONS) {
      this.notify(pinRefused);
      return false;
    }
    try {
      const settings = await this.api.updateConversationSettings({
        params: { conversationId },
        body: change,
      });
      const conversation = this.find(conversationId);
      if (conversation) applySettings(conversation, settings);
      this.changed();
      return true;
    } catch (error) {
      const full = error instanceof ApiError && error.code === ErrorCode.LimitReached && change.pinned;
      this.notify(full ? pinRefused : describeError(error));
      return false;
    }
  }

  async openDirect(userId: string): Promise<string> {
    const created = await this.api.createConversation({ body: { kind: 'direct', userId } });
    await this.refresh(created.conversationId);
    return created.conversationId;
  }

  async createGroup(name: string, memberIds: string[]): Promise<string> {
    const created = await this.api.createConversation({ body: { kind: 'group', name, memberIds } });
    await this.refresh(created.conversationId);
    return created.conversationId;
  }

  /**
   * Reads the profiles of users a group's line names that this browser does not know (a member removed
   * before it read the member list, someone who is not a friend), so the line says who.
   */
  async learnUsers(userIds: readonly string[]): Promise<void> {
    const unknown = [...new Set(userIds)].filter(
      (id) => this.state.users[id] === undefined && !this.asked.has(id),
    );
    if (unknown.length === 0) return;
    for (const id of unknown) this.asked.add(id);
    const found = await Promise.allSettled(unknown.map((userId) => this.api.getUser({ params: { userId } })));
    for (const result of found)
      if (result.status === 'fulfilled') this.state.users[result.value.userId] = result.value;
    this.changed();
  }

  /** Users whose profile was asked for once already (found or not): not asked again. */
  private readonly asked = new Set<string>();

  /**
   * Leaves a group: it goes from the list at once (the others read a line that I left). What this browser
   * kept of it stays in its store, unread, should I be added back.
   */
  async leaveGroup(conversationId: string): Promise<void> {
    await this.api.removeMember({ params: { conversationId, userId: this.state.me.userId } });
    this.drop(conversationId);
  }

  async reloadFriends(): Promise<void> {
    // A push that lands while the list is on its way is newer than the list: read it again.
    let friends: Friend[];
    let pushes: number;
    do {
      pushes = this.friendPushes;
      friends = await listAllFriends(this.api);
    } while (pushes !== this.friendPushes);
    this.state.friends = friends;
    for (const friend of this.state.friends) this.state.users[friend.user.userId] = friend.user;
    this.changed();
  }

  /** Finds people by email (a query with an `@`) or by the start of their username (a leading `@` ignored). */
  async findUsers(query: string): Promise<PublicProfile[]> {
    const page = await this.api.findUsers({
      query: query.includes('@') ? { email: query } : { prefix: query.replace(/^@/, '') },
    });
    return page.items;
  }

  async sendFriendRequest(userId: string): Promise<void> {
    await this.api.sendFriendRequest({ body: { userId } });
  }

  async acceptFriendRequest(userId: string): Promise<void> {
    await this.api.acceptFriendRequest({ params: { userId } });
  }

  async rejectFriendRequest(userId: string): Promise<void> {
    await this.api.rejectFriendRequest({ params: { userId } });
  }

  async cancelFriendRequest(userId: string): Promise<void> {
    await this.api.cancelFriendRequest({ params: { userId } });
  }

  async removeFriend(userId: string): Promise<void> {
    await this.api.removeFriend({ params: { userId } });
  }

  /** The people I blocked (the first hundred). */
  async listBlocks(): Promise<Block[]> {
    return (await this.api.listBlocks({ query: { limit: 100 } })).items;
  }

  async blockUser(userId: string): Promise<void> {
    await this.api.blockUser({ params: { userId } });
  }

  async unblockUser(userId: string): Promise<void> {
    await this.api.unblockUser({ params: { userId } });
  }

  /** Makes a member of a group an admin, or an admin a member again (admins only). */
  async setMemberRole(conversationId: string, userId: string, role: MemberRole): Promise<void> {
    await this.api.updateMember({ params: { conversationId, userId }, body: { role } });
  }

  async renameGroup(conversationId: string, name: string): Promise<void> {
    await this.api.updateConversation({ params: { conversationId }, body: { name } });
  }

  async addMembers(conversationId: string, userIds: string[]): Promise<void> {
    await this.api.addMembers({ params: { conversationId }, body: { userIds } });
  }

  /** Removes someone else from a group (admins only); see {@link leaveGroup} for leaving. */
  async removeMember(conversationId: string, userId: string): Promise<void> {
    await this.api.removeMember({ params: { conversationId, userId } });
  }

  /** My devices, revoked ones included. */
  async listDevices(): Promise<Device[]> {
    return (await this.api.listDevices({ params: { userId: this.state.me.userId } })).items;
  }

  async renameDevice(deviceId: string, name: string): Promise<void> {
    await this.api.renameDevice({ params: { deviceId }, body: { name } });
  }

  /** Revokes one of my other devices: no member encrypts to it any more, and its session ends. */
  async revokeDevice(deviceId: string): Promise<void> {
    await this.e2ee.revokeDevice(deviceId);
  }

  nameOf(userId: string): string {
    return this.state.users[userId]?.displayName ?? 'Someone';
  }

  titleOf(conversation: ConversationView): string {
    if (conversation.kind === 'group') return conversation.name ?? 'Group';
    const other = conversation.memberIds.find((id) => id !== this.state.me.userId);
    return other ? this.nameOf(other) : 'Just you';
  }

  /**
   * Signs out: closes the socket and ends this browser's session on the server (`everywhere`: every
   * session of the user). A revoked browser also forgets its keys and history, which can read nothing more.
   */
  async signOut(options: { everywhere?: boolean } = {}): Promise<void> {
    this.socket?.close();
    if (this.state.revoked) await forgetBrowser(this.state.me.userId, this.session);
    else if (this.state.sessionEnded) this.session.forget();
    else if (options.everywhere) await this.signOutEverywhere();
    else await this.session.signOut(options);
  }

  /**
   * Signs out and leaves nothing of this user in this browser, for a shared computer: this device is
   * revoked on the server (no member encrypts to it any more, and its session ends), then its encrypted
   * store (keys, MLS state, history, outbox), its device id and its safety-number checks are deleted.
   * Offline, the revocation cannot be sent: the device stays listed until it is revoked from another
   * device, while this browser forgets it all the same.
   */
  async signOutAndForget(): Promise<void> {
    this.socket?.close();
    try {
      await this.e2ee.revokeDevice(this.state.deviceId);
    } catch {
      // Forgetting this browser must not wait for the network; the person can revoke it elsewhere.
    }
    forgetVerifications(this.state.me.userId);
    await forgetBrowser(this.state.me.userId, this.session);
  }

  /**
   * Through Parley's own route, which also closes every open socket of the user and refuses their old
   * tokens at once; when it cannot be reached, Cognito's `GlobalSignOut` at least revokes the sessions.
   */
  private async signOutEverywhere(): Promise<void> {
    try {
      await this.api.signOutEverywhere();
      this.session.forget();
    } catch {
      await this.session.signOut({ everywhere: true });
    }
  }

  /** The server ended this session: stop the socket and tell the screens, which show sign-in. */
  markSessionEnded(): void {
    if (this.state.sessionEnded) return;
    this.socket?.close();
    this.state.sessionEnded = true;
    this.changed();
  }

  /** Another of my devices revoked this one: tell the screens, which sign out. */
  markRevoked(): void {
    this.socket?.close();
    this.state.revoked = true;
    this.changed();
  }

  close(): void {
    this.socket?.close();
  }
}

function listAllConversations(api: ApiClient): Promise<ConversationSummary[]> {
  return allPages((cursor) =>
    api.listConversations({ query: { limit: 100, ...(cursor ? { cursor } : {}) } }),
  );
}

function listAllFriends(api: ApiClient): Promise<Friend[]> {
  return allPages((cursor) => api.listFriends({ query: { limit: 100, ...(cursor ? { cursor } : {}) } }));
}

/** Forgets a revoked browser: its encrypted store, its device id and its session (ended on the server). */
/** What the conversation list says of a message: its text, or what it carries when it has no caption. */
export function previewOf(message: Pick<MessageView, 'text' | 'attachments'>): string {
  const [first] = message.attachments ?? [];
  if (message.text || !first) return message.text;
  switch (first.kind) {
    case 'image':
      return '📷 Photo';
    case 'video':
      return '🎬 Video';
    case 'voice':
      return '🎤 Voice note';
    case 'audio':
      return `🎵 ${first.name}`;
    default:
      return `📎 ${first.name}`;
  }
}

async function forgetBrowser(userId: string, session: Session): Promise<void> {
  localStorage.removeItem(DEVICE_ID_KEY(userId));
  await session.signOut();
  await deleteDeviceStore(userId);
}
