import { describe, expect, it } from 'vitest';
import type { AccountExport } from '../../../shared/api/route-responses';
import { encryptAttachment } from '../../../shared/e2ee/attachment-cipher';
import {
  type AttachmentDescriptor,
  encodeMessagePayload,
  type MessagePayload,
} from '../../../shared/e2ee/attachment-payload';
import type { ChatEvent } from '../../../shared/e2ee/e2ee-client';
import { InMemoryStateStore } from '../../../shared/e2ee/in-memory-state-store';
import { buildExport, type ExportSources, exportFileName } from './data-export';
import { HistoryWriter } from './history-writer';
import { ModelStore } from './store';

const CID = 'd_alice_bob';
const AT = '2025-05-01T10:00:00.000Z';
const ALICE = { userId: 'alice', username: 'alice', displayName: 'Alice' };
const person = (userId: string, displayName: string) => ({ userId, username: userId, displayName });
const payload = (value: MessagePayload) => encodeMessagePayload(value) ?? new Uint8Array();

function messageEvent(
  seq: number,
  plaintext: Uint8Array,
  extra: Partial<Extract<ChatEvent, { kind: 'message' }>> = {},
): ChatEvent {
  return {
    kind: 'message',
    conversationId: CID,
    seq,
    messageId: `m${seq}`,
    senderId: 'bob',
    senderDeviceId: 'web-bob',
    sentAt: AT,
    messageKind: 'message',
    plaintext,
    own: false,
    ...extra,
  };
}

async function photo(): Promise<AttachmentDescriptor> {
  const sealed = await encryptAttachment(new Blob([new Uint8Array(2000)]));
  const { key, sha256, size, plainSize, chunkSize } = sealed;
  return {
    id: 'attachment000000000001',
    ...{ key, sha256, size, plainSize, chunkSize },
    type: 'image/jpeg',
    name: 'IMG_2041.jpg',
    kind: 'image',
    width: 640,
    height: 480,
    thumbnail: 'AAAA',
  };
}

/** The server's answer in two pages, as `GET /me/export` pages a larger account. */
const PAGES: AccountExport[] = [
  {
    format: 1,
    exportedAt: AT,
    profile: { ...person('alice', 'Alice'), email: 'alice@example.com', createdAt: AT, hasPicture: false },
    devices: [{ deviceId: 'web-alice', createdAt: AT, signaturePublicKey: 'AAAA' }],
    friends: [{ ...person('bob', 'Bob'), state: 'friend', since: AT }],
    blocks: [],
    conversations: [],
    next: 'page-2',
  },
  {
    format: 1,
    exportedAt: AT,
    friends: [],
    blocks: [{ ...person('mallory', 'Mallory'), since: AT }],
    conversations: [
      {
        conversationId: CID,
        kind: 'direct',
        createdAt: AT,
        role: 'member',
        joinedAt: AT,
        settings: { pinned: false, archived: false, markedUnread: false },
        members: [person('alice', 'Alice'), person('bob', 'Bob')],
      },
      {
        conversationId: 'g_gone',
        kind: 'group',
        name: 'Book club',
        createdAt: AT,
        role: 'member',
        joinedAt: AT,
        settings: { pinned: false, archived: false, markedUnread: false },
        members: [person('alice', 'Alice'), person('carol', 'Carol')],
      },
    ],
  },
];

function sourcesFor(writer: HistoryWriter, overrides: Partial<ExportSources> = {}): ExportSources {
  return {
    api: {
      exportMyData: (async (request?: { query?: { cursor?: string } }) =>
        request?.query?.cursor === 'page-2' ? PAGES[1] : PAGES[0]) as ExportSources['api']['exportMyData'],
    },
    me: 'alice',
    deviceId: 'web-alice',
    readHistory: (conversationId) => writer.readAll(conversationId),
    conversations: [{ conversationId: CID, title: 'Bob' }],
    knownName: (userId) => (userId === 'alice' ? 'Alice' : undefined),
    now: () => new Date('2025-05-02T08:00:00.000Z'),
    ...overrides,
  };
}

describe('buildExport: the server’s part and this browser’s history in one file', () => {
  it('puts every page of the server’s answer together, and the history as shown, without any file’s key', async () => {
    const store = new ModelStore(ALICE, 'web-alice');
    const writer = new HistoryWriter(store, new InMemoryStateStore());
    const image = await photo();
    await writer.write([
      messageEvent(1, payload({ text: 'See you at 6' })),
      messageEvent(2, payload({ text: 'From the hike', attachments: [image] })),
      messageEvent(3, payload({ text: 'oops' })),
      messageEvent(4, payload({ text: 'See you at 7' }), { messageKind: 'edit', refSeq: 1 }),
      messageEvent(5, payload({ emoji: '🎉' }), { senderId: 'alice', messageKind: 'reaction', refSeq: 2 }),
      messageEvent(6, payload({ text: 'Great' }), { senderId: 'alice', messageKind: 'reply', refSeq: 2 }),
      { kind: 'deleted', conversationId: CID, seq: 3 },
      {
        kind: 'undecryptable',
        conversationId: CID,
        seq: 7,
        messageId: 'm7',
        senderId: 'bob',
        reason: 'rejected',
      },
    ]);
    const progress: string[] = [];

    const file = await buildExport(sourcesFor(writer), (done, total) => progress.push(`${done}/${total}`));

    expect(file).toMatchObject({
      format: 'parley-export',
      version: 1,
      exportedAt: '2025-05-02T08:00:00.000Z',
    });
    expect(file.server).toMatchObject({
      profile: { userId: 'alice', email: 'alice@example.com' },
      devices: [{ deviceId: 'web-alice' }],
      friends: [{ userId: 'bob', state: 'friend' }],
      blocks: [{ userId: 'mallory' }],
    });
    expect(file.server.conversations.map((c) => c.conversationId)).toEqual([CID, 'g_gone']);
    expect(file.server).not.toHaveProperty('next');
    expect(file.browser.deviceId).toBe('web-alice');
    const [direct, group] = file.browser.conversations;
    // A conversation this browser does not show is named from the server's part, and holds what is kept: none.
    expect(group).toEqual({ conversationId: 'g_gone', title: 'Book club', messages: [] });
    expect(direct?.title).toBe('Bob');
    expect(direct?.messages).toEqual([
      { seq: 1, sentAt: AT, senderId: 'bob', senderName: 'Bob', text: 'See you at 7', edited: true },
      {
        seq: 2,
        sentAt: AT,
        senderId: 'bob',
        senderName: 'Bob',
        text: 'From the hike',
        reactions: { '🎉': [{ userId: 'alice', name: 'Alice' }] },
        attachments: [
          { name: 'IMG_2041.jpg', type: 'image/jpeg', kind: 'image', size: 2000, width: 640, height: 480 },
        ],
      },
      { seq: 3, sentAt: AT, senderId: 'bob', senderName: 'Bob', text: '', deleted: true },
      { seq: 6, sentAt: AT, senderId: 'alice', senderName: 'Alice', text: 'Great', replyTo: 2 },
      {
        seq: 7,
        senderId: 'bob',
        senderName: 'Bob',
        text: 'A message could not be decrypted.',
        notShown: 'rejected',
      },
    ]);
    const text = JSON.stringify(file);
    for (const secret of [image.key, image.sha256, image.id, 'oops']) expect(text).not.toContain(secret);
    expect(progress).toEqual(['0/2', '1/2', '2/2']);
  });

  it('reads a long history whole, across the chunks it is kept in, oldest first', async () => {
    const store = new ModelStore(ALICE, 'web-alice');
    const writer = new HistoryWriter(store, new InMemoryStateStore());
    const count = 450;
    await writer.write(
      Array.from({ length: count }, (_, i) => messageEvent(i + 1, payload({ text: `n${i + 1}` }))),
    );

    const file = await buildExport(sourcesFor(writer));

    const messages = file.browser.conversations[0]?.messages ?? [];
    expect(messages.map((m) => m.text)).toEqual(Array.from({ length: count }, (_, i) => `n${i + 1}`));
  });

  it('names a conversation whose history this browser cannot read, and goes on with the others', async () => {
    const store = new ModelStore(ALICE, 'web-alice');
    const writer = new HistoryWriter(store, new InMemoryStateStore());
    const warn = console.warn;
    console.warn = () => {};
    try {
      const file = await buildExport(
        sourcesFor(writer, {
          readHistory: async (conversationId) => {
            if (conversationId === CID) throw new Error('damaged');
            return [];
          },
        }),
      );
      expect(file.browser.conversations).toEqual([
        {
          conversationId: CID,
          title: 'Bob',
          messages: [],
          error: 'This browser could not read what it holds of this conversation.',
        },
        { conversationId: 'g_gone', title: 'Book club', messages: [] },
      ]);
    } finally {
      console.warn = warn;
    }
  });

  it('fails whole when the server’s part cannot be read: no file with half of it', async () => {
    const writer = new HistoryWriter(new ModelStore(ALICE, 'web-alice'), new InMemoryStateStore());
    const api = {
      exportMyData: (async () => {
        throw new Error('offline');
      }) as ExportSources['api']['exportMyData'],
    };

    await expect(buildExport(sourcesFor(writer, { api }))).rejects.toThrow('offline');
  });
});

describe('exportFileName', () => {
  it('names the file by the day where the person is', () => {
    expect(exportFileName(new Date(2026, 11, 5, 23, 59))).toBe('parley-export-2026-12-05.json');
    expect(exportFileName(new Date(2027, 0, 9, 0, 1))).toBe('parley-export-2027-01-09.json');
  });
});
