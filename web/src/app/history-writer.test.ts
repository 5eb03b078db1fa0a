import { describe, expect, it } from 'vitest';
import { encryptAttachment } from '../../../shared/e2ee/attachment-cipher';
import {
  type AttachmentDescriptor,
  encodeMessagePayload,
  MAX_MESSAGE_TEXT_LENGTH,
  type MessagePayload,
} from '../../../shared/e2ee/attachment-payload';
import type { ChatEvent } from '../../../shared/e2ee/e2ee-client';
import { InMemoryStateStore } from '../../../shared/e2ee/in-memory-state-store';
import type { StateStore } from '../../../shared/e2ee/state-store';
import { HistoryWriter } from './history-writer';
import { ModelStore } from './store';

const CID = 'c1';
const ALICE = { userId: 'alice', username: 'alice', displayName: 'Alice' };
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** A message event as the E2EE client hands it over, from Bob unless said otherwise. */
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
    sentAt: '2025-05-01T10:00:00.000Z',
    messageKind: 'message',
    plaintext,
    own: false,
    ...extra,
  };
}

const payload = (value: MessagePayload) => encodeMessagePayload(value) ?? new Uint8Array();

function writerOn(vault: StateStore = new InMemoryStateStore()) {
  const store = new ModelStore(ALICE, 'web-alice');
  const at = '2025-05-01T09:00:00.000Z';
  store.state.conversations = [
    {
      conversationId: CID,
      kind: 'direct',
      memberIds: ['alice', 'bob'],
      role: 'member',
      createdAt: at,
      lastActivityAt: at,
      lastSeq: 0,
      unread: 0,
      delivered: 0,
      read: 0,
      receipts: {},
    },
  ];
  return { store, vault, writer: new HistoryWriter(store, vault) };
}

async function imageDescriptor(): Promise<AttachmentDescriptor> {
  const sealed = await encryptAttachment(new Blob([new Uint8Array(2000)]));
  const { key, sha256, size, plainSize, chunkSize } = sealed;
  return {
    id: 'attachment000000000001',
    ...{ key, sha256, size, plainSize, chunkSize },
    type: 'image/jpeg',
    name: 'IMG_2041.jpg',
    kind: 'image',
  };
}

describe('HistoryWriter: what the E2EE client read, shown and kept', () => {
  it('shows a message with its caption and file, its preview in the list, and keeps it for the next visit', async () => {
    const { store, vault, writer } = writerOn();
    const image = await imageDescriptor();
    await writer.write([messageEvent(1, payload({ text: 'From the hike', attachments: [image] }))]);

    const [shown] = store.state.messages[CID] ?? [];
    expect(shown).toMatchObject({ seq: 1, senderId: 'bob', text: 'From the hike', attachments: [image] });
    expect(store.find(CID)?.preview).toBe('From the hike');

    const again = writerOn(vault);
    await again.writer.show(CID);
    expect(again.store.state.messages[CID]).toEqual(store.state.messages[CID]);
  });

  it('shows a plaintext that breaks the payload schema as its text, taking no file or field from it', async () => {
    const { store, writer } = writerOn();
    const hostile = encode({ text: 42, attachments: [{ id: '../../etc/passwd', name: 'x.exe' }] });
    await writer.write([messageEvent(1, hostile)]);

    const [shown] = store.state.messages[CID] ?? [];
    expect(shown?.text).toBe(new TextDecoder().decode(hostile));
    expect(shown?.attachments).toBeUndefined();
  });

  it('shows a plaintext that is not JSON or not UTF-8 as text, cut by code point at the longest a message may be', async () => {
    const { store, writer } = writerOn();
    const long = '😀'.repeat(MAX_MESSAGE_TEXT_LENGTH + 10);
    await writer.write([
      messageEvent(1, new TextEncoder().encode(long)),
      messageEvent(2, new Uint8Array([0xff, 0xfe, 0x68, 0x69])),
    ]);

    const [first, second] = store.state.messages[CID] ?? [];
    expect(first?.text).toBe('😀'.repeat(MAX_MESSAGE_TEXT_LENGTH));
    expect(second?.text).toBe('\uFFFD\uFFFDhi');
  });

  it('takes an edit only from the message’s own sender, and a second same reaction takes the first back', async () => {
    const { store, writer } = writerOn();
    await writer.write([messageEvent(1, payload({ text: 'See you at 6' }))]);
    await writer.write([
      messageEvent(2, payload({ text: 'See you at 7' }), { messageKind: 'edit', refSeq: 1 }),
      messageEvent(3, payload({ text: 'forged' }), { senderId: 'mallory', messageKind: 'edit', refSeq: 1 }),
      messageEvent(4, payload({ emoji: '🎉' }), { senderId: 'alice', messageKind: 'reaction', refSeq: 1 }),
      messageEvent(5, payload({ emoji: '❤️' }), { senderId: 'alice', messageKind: 'reaction', refSeq: 1 }),
      messageEvent(6, payload({ emoji: '🎉' }), { senderId: 'alice', messageKind: 'reaction', refSeq: 1 }),
    ]);

    expect(store.state.messages[CID]).toHaveLength(1);
    expect(store.state.messages[CID]?.[0]).toMatchObject({
      text: 'See you at 7',
      edited: true,
      reactions: { '❤️': ['alice'] },
    });
  });

  it('shows a message it cannot decrypt as such, and a deleted one without its text', async () => {
    const { store, writer } = writerOn();
    await writer.write([
      messageEvent(1, payload({ text: 'secret' })),
      messageEvent(2, payload({ text: 'the last words' })),
      {
        kind: 'undecryptable',
        conversationId: CID,
        seq: 3,
        messageId: 'm3',
        senderId: 'bob',
        reason: 'rejected',
      },
      { kind: 'deleted', conversationId: CID, seq: 1 },
    ]);
    await writer.deleted({
      type: 'deleted',
      conversationId: CID,
      seq: 2,
      deletedAt: '2025-05-01T10:05:00.000Z',
    });

    const [first, second, third] = store.state.messages[CID] ?? [];
    expect(first).toMatchObject({ deleted: true, text: '' });
    expect(second).toMatchObject({ deleted: true, text: '' });
    expect(third).toMatchObject({ seq: 3, text: '', undecryptable: 'rejected' });
    // The list's preview skips what cannot be read.
    expect(store.find(CID)?.preview).toBe('Message deleted');
  });

  it('tells the person when the history cannot be kept, rather than failing the read', async () => {
    const broken: StateStore = {
      get: async () => undefined,
      put: async () => {
        throw new Error('The quota is used up');
      },
      delete: async () => {},
    };
    const { store, writer } = writerOn(broken);
    const logged = console.error;
    console.error = () => {};
    try {
      await writer.write([messageEvent(1, payload({ text: 'hello' }))]);
    } finally {
      console.error = logged;
    }
    expect(store.state.notice).toBe(
      'This browser could not keep the latest messages: they may be missing after a reload.',
    );
  });
});
