import type { ConversationSummary, Friend, Member, PublicProfile } from '../../../shared/protocol/resources';
import type { FileFacts } from './attachments';
import { newestFirst } from './conversation-order';
import type { MessageView } from './history';
import type { BackupState } from './history-backup';
import type { HistoryTransferState } from './history-transfers';
import type { ConnectionStatus } from './socket';
import type { PushStatus } from './web-push';

/** How a user whose account was deleted is named. */
export const DELETED_ACCOUNT = 'Deleted account';

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
  /**
   * While the socket cannot connect because the user has as many open as a user may (`socketsPerUser`):
   * that number. A browser cannot read why a handshake failed, so this comes from asking the server.
   */
  socketLimit?: number;
  /** The encrypted backup of my history, as far as this browser knows it. */
  backup?: BackupState | undefined;
  /** A history transfer this browser takes part in, while the screens show it. */
  historyTransfer?: HistoryTransferState | undefined;
  /**
   * On a browser that has not brought its history yet: my other devices to bring it from, those online now
   * first. Gone once the person answers.
   */
  historySources?: readonly { deviceId: string; name: string; online: boolean }[] | undefined;
  /** This browser brought its history, or the person said no: nothing more is offered. */
  historyAnswered?: boolean;
  conversations: ConversationView[];
  /** Conversation → the newest part of its history, as far as read from this browser's store. */
  messages: Record<string, readonly MessageView[]>;
  /**
   * Conversation → whether this browser keeps older messages than those in `messages`
   * (see `ChatModel.loadEarlier`).
   */
  earlier: Record<string, boolean>;
  users: Record<string, PublicProfile>;
  /** Users whose account was deleted (a conversation's line said so): named "Deleted account". */
  deletedUsers: Set<string>;
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
  /** User id → an object URL of their profile picture, decrypted here (see `pictures.ts`); else initials. */
  pictures: Record<string, string>;
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
  /** Another of my devices revoked this browser: the app signs out (see `ChatModel.signOut`). */
  revoked: boolean;
  /** The server ended this session (the user signed out everywhere): the app shows sign-in. */
  sessionEnded: boolean;
  /** Whether notifications reach this browser while Parley is closed (see `web-push.ts`). */
  push: PushStatus;
}

/**
 * The state the screens render, and the only place that tells them it changed. The parts of the model
 * change it in place, then call {@link changed}: a new top-level object each time, so a screen that kept
 * the last one sees the difference. Read `state` afresh after each change, never keep it.
 */
export class ModelStore {
  state: ModelState;
  private readonly listeners = new Set<() => void>();

  constructor(me: PublicProfile, deviceId: string) {
    this.state = {
      me,
      deviceId,
      status: 'connecting',
      conversations: [],
      messages: {},
      earlier: {},
      users: { [me.userId]: me },
      deletedUsers: new Set(),
      friends: [],
      presence: {},
      typing: {},
      outbox: [],
      transfers: {},
      files: {},
      fileErrors: {},
      pictures: {},
      preparing: {},
      devicesVersion: 0,
      keysVersion: 0,
      revoked: false,
      sessionEnded: false,
      push: 'off',
    };
  }

  /** My user id. */
  get myId(): string {
    return this.state.me.userId;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    this.state = { ...this.state };
    for (const listener of this.listeners) listener();
  }

  notify(notice: string | undefined): void {
    this.state.notice = notice;
    this.changed();
  }

  find(conversationId: string): ConversationView | undefined {
    return this.state.conversations.find((c) => c.conversationId === conversationId);
  }

  sortConversations(): void {
    this.state.conversations = newestFirst(this.state.conversations);
  }

  /** Others' messages after `read`, as far as this browser has them: none once `read` is the newest. */
  unreadAfter(conversationId: string, read: number, newest: number): number {
    if (read >= newest) return 0;
    return (this.state.messages[conversationId] ?? []).filter(
      (m) => m.seq > read && m.senderId !== this.myId && !m.undecryptable && !m.event,
    ).length;
  }

  /** A transfer's progress, redrawn once per whole percent: a 100 MB file reports 1,600 chunks. */
  progress(key: string, transfer: Transfer): void {
    const percentOf = (t: Transfer | undefined) =>
      t && t.total > 0 ? Math.floor((t.done / t.total) * 100) : -1;
    const before = percentOf(this.state.transfers[key]);
    this.state.transfers = { ...this.state.transfers, [key]: transfer };
    if (percentOf(transfer) !== before) this.changed();
  }

  nameOf(userId: string): string {
    if (this.state.deletedUsers.has(userId)) return DELETED_ACCOUNT;
    return this.state.users[userId]?.displayName ?? 'Someone';
  }

  /** A line said this user deleted their account: every screen names them so from now on. */
  markAccountDeleted(userId: string): void {
    if (this.state.deletedUsers.has(userId)) return;
    this.state.deletedUsers = new Set([...this.state.deletedUsers, userId]);
    this.changed();
  }

  titleOf(conversation: ConversationView): string {
    if (conversation.kind === 'group') return conversation.name ?? 'Group';
    const other = conversation.memberIds.find((id) => id !== this.myId);
    // The other person deleted their account: the chat stays, closed, with what they sent.
    return other ? this.nameOf(other) : DELETED_ACCOUNT;
  }
}
