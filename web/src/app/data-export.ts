import type { AccountExport } from '../../../shared/api/route-responses';
import { type ApiClient, allPages } from '../../../shared/client/api-client';
import type { ConversationEvent } from '../../../shared/protocol/resources';
import { groupEventText } from './group-events';
import type { MessageView } from './history';
import { unreadableText } from './timeline';

/** What the server holds about me: every page of `GET /me/export`, put together. */
export type ServerPart = Omit<AccountExport, 'next' | 'profile' | 'devices'> & {
  readonly profile?: AccountExport['profile'];
  readonly devices: NonNullable<AccountExport['devices']>;
};

/** A file this browser holds, as its message names it: never its key, digest or thumbnail. */
export interface ExportedAttachment {
  readonly name: string;
  readonly type: string;
  readonly kind: string;
  /** The file's bytes. */
  readonly size: number;
  readonly width?: number;
  readonly height?: number;
  readonly durationMs?: number;
}

/** A message as this browser shows it. */
export interface ExportedMessage {
  readonly seq: number;
  /** Absent for a message this browser could not read. */
  readonly sentAt?: string;
  readonly senderId: string;
  readonly senderName: string;
  /** The text as shown: a group's change in words, or why a message is not shown. */
  readonly text: string;
  readonly replyTo?: number;
  readonly edited?: true;
  readonly deleted?: true;
  /** Emoji → who reacted with it. */
  readonly reactions?: Record<string, Array<{ readonly userId: string; readonly name: string }>>;
  readonly attachments?: ExportedAttachment[];
  /** A change of the group the server logged here. */
  readonly event?: ConversationEvent;
  /** Why this browser cannot show it: `before-join`, `not-member` or `rejected`. */
  readonly notShown?: string;
}

export interface ExportedConversation {
  readonly conversationId: string;
  readonly title: string;
  readonly messages: ExportedMessage[];
  /** Why this browser could not read its history of the conversation, when it could not. */
  readonly error?: string;
}

/**
 * The downloaded file: what the server holds, and the plaintext this browser holds. Read it with any JSON
 * viewer; `version` moves when a later app writes it differently.
 */
export interface ExportFile {
  readonly format: 'parley-export';
  readonly version: 1;
  readonly exportedAt: string;
  readonly server: ServerPart & { readonly about: string };
  readonly browser: {
    readonly about: string;
    readonly deviceId: string;
    readonly conversations: ExportedConversation[];
  };
}

/** Where the export reads this browser's history, and how it names people and conversations. */
export interface ExportSources {
  readonly api: Pick<ApiClient, 'exportMyData'>;
  readonly me: string;
  readonly deviceId: string;
  /** Every message this browser keeps of a conversation, oldest first. */
  readonly readHistory: (conversationId: string) => Promise<readonly MessageView[]>;
  /** The conversations this browser shows, with their titles as the list shows them. */
  readonly conversations: ReadonlyArray<{ readonly conversationId: string; readonly title: string }>;
  /** A person's name as this browser knows it, if it does. */
  readonly knownName: (userId: string) => string | undefined;
  readonly now: () => Date;
}

const SERVER_ABOUT =
  "What Parley's server holds about you. Messages are not here: the server keeps only their ciphertext, " +
  'which it cannot read.';
const BROWSER_ABOUT =
  'The messages this browser holds, decrypted here. Your other devices may hold messages this one does not: ' +
  'each device keeps what it received from when it joined a conversation.';

/** Every page of `GET /me/export`, put together. */
export async function readServerPart(api: Pick<ApiClient, 'exportMyData'>): Promise<ServerPart> {
  const pages = await allPages(async (cursor) => {
    const page = await api.exportMyData(cursor === undefined ? {} : { query: { cursor } });
    return { items: [page], next: page.next };
  });
  const [first] = pages;
  if (first === undefined) throw new Error('The export answered no page');
  return {
    format: first.format,
    exportedAt: first.exportedAt,
    ...(first.profile === undefined ? {} : { profile: first.profile }),
    devices: first.devices ?? [],
    friends: pages.flatMap((page) => page.friends),
    blocks: pages.flatMap((page) => page.blocks),
    conversations: pages.flatMap((page) => page.conversations),
  };
}

/** One message as the file holds it: what the chat shows, and no attachment's key. */
export function exportedMessage(
  message: MessageView,
  reader: { readonly me: string; readonly nameOf: (userId: string) => string },
): ExportedMessage {
  const base = {
    seq: message.seq,
    ...(message.sentAt ? { sentAt: message.sentAt } : {}),
    senderId: message.senderId,
    senderName: reader.nameOf(message.senderId),
  };
  if (message.undecryptable !== undefined)
    return { ...base, text: unreadableText(message.undecryptable, 1), notShown: message.undecryptable };
  if (message.event !== undefined)
    return { ...base, text: groupEventText(message.event, reader), event: message.event };
  const reactions = Object.entries(message.reactions).filter(([, userIds]) => userIds.length > 0);
  return {
    ...base,
    text: message.deleted ? '' : message.text,
    ...(message.replyTo === undefined ? {} : { replyTo: message.replyTo }),
    ...(message.edited ? { edited: true } : {}),
    ...(message.deleted ? { deleted: true } : {}),
    ...(reactions.length === 0
      ? {}
      : {
          reactions: Object.fromEntries(
            reactions.map(([emoji, userIds]) => [
              emoji,
              userIds.map((userId) => ({ userId, name: reader.nameOf(userId) })),
            ]),
          ),
        }),
    ...(message.attachments === undefined || message.deleted
      ? {}
      : {
          attachments: message.attachments.map((a) => ({
            name: a.name,
            type: a.type,
            kind: a.kind,
            size: a.plainSize,
            ...(a.width === undefined ? {} : { width: a.width }),
            ...(a.height === undefined ? {} : { height: a.height }),
            ...(a.durationMs === undefined ? {} : { durationMs: a.durationMs }),
          })),
        }),
  };
}

/**
 * The whole file: the server's part (every page), then this browser's history of every conversation the
 * server lists or this browser shows, one conversation at a time (`onProgress` says how far).
 */
export async function buildExport(
  sources: ExportSources,
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<ExportFile> {
  const server = await readServerPart(sources.api);
  const names = new Map<string, string>();
  for (const person of [
    ...server.friends,
    ...server.blocks,
    ...server.conversations.flatMap((c) => c.members),
    ...(server.profile ? [server.profile] : []),
  ])
    names.set(person.userId, person.displayName);
  const nameOf = (userId: string) => sources.knownName(userId) ?? names.get(userId) ?? 'Someone';
  const reader = { me: sources.me, nameOf };

  const titles = new Map(sources.conversations.map((c) => [c.conversationId, c.title]));
  for (const c of server.conversations) {
    if (titles.has(c.conversationId)) continue;
    const other = c.members.find((m) => m.userId !== sources.me);
    titles.set(c.conversationId, c.name ?? (other ? nameOf(other.userId) : 'Just you'));
  }
  const conversations: ExportedConversation[] = [];
  let done = 0;
  onProgress(done, titles.size);
  for (const [conversationId, title] of titles) {
    try {
      const messages = await sources.readHistory(conversationId);
      conversations.push({
        conversationId,
        title,
        messages: messages.map((m) => exportedMessage(m, reader)),
      });
    } catch (error) {
      console.warn('A conversation’s history could not be read for the export', { conversationId, error });
      conversations.push({
        conversationId,
        title,
        messages: [],
        error: 'This browser could not read what it holds of this conversation.',
      });
    }
    onProgress(++done, titles.size);
  }
  return {
    format: 'parley-export',
    version: 1,
    exportedAt: sources.now().toISOString(),
    server: { about: SERVER_ABOUT, ...server },
    browser: { about: BROWSER_ABOUT, deviceId: sources.deviceId, conversations },
  };
}

/** `parley-export-2026-12-05.json`, by the day where the person is. */
export function exportFileName(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `parley-export-${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}.json`;
}
