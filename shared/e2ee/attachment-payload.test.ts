import { describe, expect, it } from 'vitest';
import { MAX_ATTACHMENT_SIZE_IN_BYTES, MAX_ATTACHMENTS_PER_MESSAGE } from '../protocol/limits';
import { encryptAttachment } from './attachment-cipher';
import {
  type AttachmentDescriptor,
  attachmentNameOf,
  encodeMessagePayload,
  MAX_ATTACHMENT_NAME_LENGTH,
  MAX_MESSAGE_PAYLOAD_SIZE_IN_BYTES,
  MAX_MESSAGE_TEXT_LENGTH,
  MAX_THUMBNAIL_SIZE_IN_BYTES,
  type MessagePayload,
  parseMessagePayload,
  textLengthOf,
} from './attachment-payload';
import { toBase64 } from './base64';

const concat = (...parts: Uint8Array[]) => new Uint8Array(parts.flatMap((part) => [...part]));
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

let ids = 0;
/** A fresh 22-character attachment id, as the server issues them. */
const nextId = () => `attachment${String(ids++).padStart(12, '0')}`;

async function descriptorOf(bytes: Uint8Array<ArrayBuffer>, extra: Partial<AttachmentDescriptor> = {}) {
  const sealed = await encryptAttachment(new Blob([bytes]));
  const descriptor: AttachmentDescriptor = {
    id: nextId(),
    key: sealed.key,
    sha256: sealed.sha256,
    size: sealed.size,
    plainSize: sealed.plainSize,
    chunkSize: sealed.chunkSize,
    type: 'image/jpeg',
    name: 'IMG_2041.jpg',
    kind: 'image',
    width: 4032,
    height: 3024,
    ...extra,
  };
  return descriptor;
}

const thumbnailOf = (size: number) => toBase64(new Uint8Array(size).fill(0xab));

describe('parseMessagePayload', () => {
  it('reads a caption with a sealed file, as the sender encoded it', async () => {
    const attachment = await descriptorOf(new Uint8Array(5000), { thumbnail: thumbnailOf(1200) });
    const payload: MessagePayload = { text: 'From the hike', attachments: [attachment] };
    const plaintext = encodeMessagePayload(payload);
    expect(plaintext).toBeDefined();
    expect(parseMessagePayload(plaintext ?? new Uint8Array())).toEqual(payload);
  });

  it('reads a voice note with its codec, a name in any script, and a text-only message', async () => {
    const voice = await descriptorOf(new Uint8Array(300), {
      type: 'audio/webm;codecs=opus',
      name: 'Голосовое сообщение 👩‍👩‍👧.webm',
      kind: 'voice',
      width: undefined,
      height: undefined,
      durationMs: 4200,
    });
    expect(parseMessagePayload(encode({ attachments: [voice] }))?.attachments?.[0]).toEqual(
      JSON.parse(JSON.stringify(voice)),
    );
    expect(parseMessagePayload(encode({ text: 'hi' }))).toEqual({ text: 'hi' });
  });

  it('drops fields a later version adds, and keeps the rest', async () => {
    const attachment = await descriptorOf(new Uint8Array(10));
    const parsed = parseMessagePayload(
      encode({ text: 'hi', sticker: 'x', attachments: [{ ...attachment, blurhash: 'LEHV6n' }] }),
    );
    expect(parsed).toEqual({ text: 'hi', attachments: [attachment] });
  });

  it.each<[string, Partial<Record<keyof AttachmentDescriptor, unknown>>]>([
    ['a name over the limit', { name: `${'a'.repeat(MAX_ATTACHMENT_NAME_LENGTH)}.jpg` }],
    ['a name with a folder', { name: '../../etc/passwd' }],
    ['a name with a Windows folder', { name: 'C:\\Windows\\notepad.exe' }],
    ['a name of dots', { name: '..' }],
    ['an empty name', { name: '' }],
    ['a name that reads backwards', { name: 'photo\u202Egpj.exe' }],
    ['a name with a control character', { name: 'photo\u0000.jpg' }],
    ['a negative size', { size: -1 }],
    ['a negative plaintext size', { plainSize: -1 }],
    ['a fractional size', { size: 5045.5 }],
    ['a size its plaintext size does not seal to', { size: 5046 }],
    ['a size over the largest upload', { size: MAX_ATTACHMENT_SIZE_IN_BYTES + 1 }],
    ['a chunk size out of bounds', { chunkSize: 1 }],
    ['a thumbnail over the limit', { thumbnail: thumbnailOf(MAX_THUMBNAIL_SIZE_IN_BYTES + 1) }],
    ['a thumbnail that is not base64', { thumbnail: 'not base64!' }],
    ['an unknown kind', { kind: 'executable' }],
    ['a key that is not 256 bits', { key: toBase64(new Uint8Array(16)) }],
    ['a digest that is not base64', { sha256: '%'.repeat(44) }],
    ['an id the server never issues', { id: 'short' }],
    ['a type without a subtype', { type: 'image' }],
    ['a type on two lines', { type: 'image/jpeg\nX-Evil: 1' }],
    ['a type over the limit', { type: `image/${'x'.repeat(126)};a=${'y'.repeat(126)}` }],
    ['a zero width', { width: 0 }],
    ['an absurd height', { height: 1e9 }],
    ['a negative duration', { durationMs: -1 }],
    ['a string for a number', { plainSize: '5000' }],
  ])('refuses an attachment with %s, without throwing', async (_, change) => {
    const attachment = await descriptorOf(new Uint8Array(5000));
    expect(parseMessagePayload(encode({ attachments: [attachment] }))).toBeDefined();
    expect(parseMessagePayload(encode({ attachments: [{ ...attachment, ...change }] }))).toBeUndefined();
  });

  it('refuses more attachments than a message may carry, or one twice', async () => {
    const attachments = await Promise.all(
      Array.from({ length: MAX_ATTACHMENTS_PER_MESSAGE + 1 }, () => descriptorOf(new Uint8Array(1))),
    );
    expect(parseMessagePayload(encode({ attachments: attachments.slice(1) }))).toBeDefined();
    expect(parseMessagePayload(encode({ attachments }))).toBeUndefined();
    const [first, second] = attachments;
    expect(
      parseMessagePayload(encode({ attachments: [first, { ...second, id: first?.id }] })),
    ).toBeUndefined();
    expect(parseMessagePayload(encode({ attachments: [] }))).toBeUndefined();
  });

  it('refuses a text over the limit', () => {
    expect(parseMessagePayload(encode({ text: 'a'.repeat(MAX_MESSAGE_TEXT_LENGTH) }))).toBeDefined();
    expect(parseMessagePayload(encode({ text: 'a'.repeat(MAX_MESSAGE_TEXT_LENGTH + 1) }))).toBeUndefined();
  });

  it('counts an emoji as one character, as a person does', () => {
    expect(textLengthOf('Hi 👋')).toBe(4);
    const emoji = '😀'.repeat(MAX_MESSAGE_TEXT_LENGTH);
    expect(emoji.length).toBe(2 * MAX_MESSAGE_TEXT_LENGTH);
    expect(parseMessagePayload(encode({ text: emoji }))?.text).toBe(emoji);
    expect(parseMessagePayload(encode({ text: `${emoji}a` }))).toBeUndefined();
  });

  it('refuses plaintext that is not UTF-8 JSON of a payload', () => {
    const notUtf8 = concat(
      new TextEncoder().encode('{"text":"'),
      new Uint8Array([0xff]),
      new TextEncoder().encode('"}'),
    );
    expect(parseMessagePayload(notUtf8)).toBeUndefined();
    expect(parseMessagePayload(new TextEncoder().encode('plain words'))).toBeUndefined();
    expect(parseMessagePayload(encode([{ text: 'hi' }]))).toBeUndefined();
    expect(parseMessagePayload(encode(null))).toBeUndefined();
    expect(parseMessagePayload(encode({ text: 42 }))).toBeUndefined();
  });
});

describe('the profile key in a payload', () => {
  const key = toBase64(new Uint8Array(32).fill(7));
  const sha256 = toBase64(new Uint8Array(32).fill(9));
  const profile = { avatarId: 'avatarAAAAAAAAAAAAAAAA', key, sha256 };

  it("carries the key to the sender's picture beside the text, both ways", () => {
    const plaintext = encodeMessagePayload({ text: 'Hi', profile });

    expect(plaintext).toBeDefined();
    expect(parseMessagePayload(plaintext as Uint8Array)).toEqual({ text: 'Hi', profile });
  });

  it('drops a bad profile key alone: the message is still read, with no key', () => {
    const bad = [
      { ...profile, key: toBase64(new Uint8Array(16)) },
      { ...profile, sha256: 'not base64!' },
      { ...profile, avatarId: '../../etc/passwd' },
      { avatarId: profile.avatarId },
      'a string',
      null,
    ];
    for (const value of bad) {
      expect(parseMessagePayload(encode({ text: 'Still here', profile: value }))).toEqual({
        text: 'Still here',
      });
    }
  });

  it('refuses a payload broken elsewhere, profile key or not', () => {
    expect(parseMessagePayload(encode({ text: 42, profile }))).toBeUndefined();
    expect(parseMessagePayload(encode({ text: 42, profile: 'bad' }))).toBeUndefined();
  });

  it('will not encode a bad profile key', () => {
    expect(encodeMessagePayload({ text: 'Hi', profile: { ...profile, key: 'short' } })).toBeUndefined();
  });
});

describe('encodeMessagePayload', () => {
  it('fits the longest caption and a file with the largest thumbnail into one message', async () => {
    const attachment = await descriptorOf(new Uint8Array(10), {
      name: `${'n'.repeat(MAX_ATTACHMENT_NAME_LENGTH - 4)}.jpg`,
      thumbnail: thumbnailOf(MAX_THUMBNAIL_SIZE_IN_BYTES),
    });
    const plaintext = encodeMessagePayload({
      text: 'a'.repeat(MAX_MESSAGE_TEXT_LENGTH),
      attachments: [attachment],
    });
    expect(plaintext?.length).toBeLessThanOrEqual(MAX_MESSAGE_PAYLOAD_SIZE_IN_BYTES);
  });

  it('refuses a payload that would not fit one message body, and one that is not valid', async () => {
    const attachments = await Promise.all(
      Array.from({ length: MAX_ATTACHMENTS_PER_MESSAGE }, () =>
        descriptorOf(new Uint8Array(1), { thumbnail: thumbnailOf(MAX_THUMBNAIL_SIZE_IN_BYTES) }),
      ),
    );
    expect(encodeMessagePayload({ attachments })).toBeUndefined();
    const withoutThumbnails = attachments.map(({ thumbnail: _, ...rest }) => rest);
    expect(encodeMessagePayload({ attachments: withoutThumbnails })).toBeDefined();
    expect(encodeMessagePayload({ text: 'a'.repeat(MAX_MESSAGE_TEXT_LENGTH + 1) })).toBeUndefined();
  });

  it('fits a text at the limit however it is written, the widest characters included', () => {
    for (const char of ['a', '"', '\n', 'é', '你', '😀']) {
      const plaintext = encodeMessagePayload({ text: char.repeat(MAX_MESSAGE_TEXT_LENGTH) });
      expect(plaintext, char).toBeDefined();
      expect(parseMessagePayload(plaintext as Uint8Array)?.text).toBe(char.repeat(MAX_MESSAGE_TEXT_LENGTH));
    }
  });
});

describe('attachmentNameOf', () => {
  it('keeps an ordinary name as it is', () => {
    expect(attachmentNameOf('Quarterly report (final).pdf')).toBe('Quarterly report (final).pdf');
    expect(attachmentNameOf('Фото 👩‍👩‍👧.jpg')).toBe('Фото 👩‍👩‍👧.jpg');
  });

  it('replaces folders and hidden characters, so the name parses', async () => {
    expect(attachmentNameOf('C:\\Users\\ana\\photo\u202Egpj.exe')).toBe('C:_Users_ana_photo_gpj.exe');
    expect(attachmentNameOf('a/b\u0000c')).toBe('a_b_c');
    expect(attachmentNameOf('..')).toBe('file');
    expect(attachmentNameOf('   ')).toBe('file');
    expect(attachmentNameOf('\u200Dstray joiner')).toBe('_stray joiner');
  });

  it('shortens a long name in its middle, keeping its extension and every emoji whole', async () => {
    const long = attachmentNameOf(`${'😀'.repeat(200)}.jpeg`);
    expect(long.length).toBeLessThanOrEqual(MAX_ATTACHMENT_NAME_LENGTH);
    expect(long.endsWith('😀.jpeg')).toBe(true);
    const attachment = await descriptorOf(new Uint8Array(1), { name: long });
    expect(parseMessagePayload(encode({ attachments: [attachment] }))).toBeDefined();
  });
});
