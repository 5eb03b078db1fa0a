/**
 * What a message's plaintext says, attachments included: JSON inside the MLS ciphertext, so the server
 * never sees a file's key, name, type or plaintext size. It sees each attachment's id (beside the
 * ciphertext, for its bookkeeping) and the size of its object, nothing more.
 *
 * Everything here is parsed on the recipient's device from bytes a sender chose, so every field is
 * bounded and a hostile value makes the whole payload unreadable rather than reach the UI.
 */

import {
  AttachmentIdSchema,
  Base64Schema,
  decodedBase64Length,
  nameProblem,
  normaliseName,
} from '../protocol/ids';
import {
  MAX_ATTACHMENT_FILE_SIZE_IN_BYTES,
  MAX_ATTACHMENT_SIZE_IN_BYTES,
  MAX_ATTACHMENTS_PER_MESSAGE,
  MAX_BODY_SIZE_IN_BYTES,
} from '../protocol/limits';
import * as z from '../zod';
import {
  ciphertextSizeOf,
  MAX_ATTACHMENT_CHUNK_SIZE_IN_BYTES,
  MIN_ATTACHMENT_CHUNK_SIZE_IN_BYTES,
} from './attachment-cipher';

/**
 * Longest file name an attachment may carry, in UTF-16 code units: what most file systems take.
 *
 * @example
 * if (file.name.length > MAX_ATTACHMENT_NAME_LENGTH) name = attachmentNameOf(file.name);
 */
export const MAX_ATTACHMENT_NAME_LENGTH = 255;

/**
 * Longest MIME type an attachment may carry, parameters included (`audio/webm;codecs=opus`).
 *
 * @example
 * const type = file.type.length <= MAX_ATTACHMENT_TYPE_LENGTH ? file.type : 'application/octet-stream';
 */
export const MAX_ATTACHMENT_TYPE_LENGTH = 255;

/**
 * Largest inline thumbnail (a JPEG or WebP, before base64). The whole message, thumbnails and caption
 * included, must fit one {@link MAX_BODY_SIZE_IN_BYTES} body, so a thumbnail is a blurred preview of a
 * few KiB, not an image to look at.
 *
 * @example
 * const thumbnail = preview.byteLength <= MAX_THUMBNAIL_SIZE_IN_BYTES ? toBase64(preview) : undefined;
 */
export const MAX_THUMBNAIL_SIZE_IN_BYTES = 4 * 1024;

/**
 * Longest text of a message, a caption included, in characters as a person counts them: Unicode code
 * points, so an emoji such as 😀 (two UTF-16 code units) counts as one. See {@link textLengthOf}.
 *
 * @example
 * const over = textLengthOf(draft) > MAX_MESSAGE_TEXT_LENGTH;
 */
export const MAX_MESSAGE_TEXT_LENGTH = 4000;

/**
 * A text's length as {@link MAX_MESSAGE_TEXT_LENGTH} counts it: code points, not UTF-16 code units.
 *
 * @example
 * textLengthOf('Hi 👋'); // 4 (`'Hi 👋'.length` is 5)
 */
export function textLengthOf(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

/**
 * Largest encoded payload: a body less room for MLS's framing (about 150 bytes, a short message padded to
 * 256), so a payload that fits here fits the server's body limit once encrypted. A text at the limit fits
 * however it is written (4,000 emoji of four UTF-8 bytes each are 16,011 bytes of JSON), save one full of
 * control characters, which JSON escapes in six bytes each: a composer asks {@link encodeMessagePayload}.
 *
 * @example
 * const bytes = encodeMessagePayload(payload); // undefined above MAX_MESSAGE_PAYLOAD_SIZE_IN_BYTES
 */
export const MAX_MESSAGE_PAYLOAD_SIZE_IN_BYTES = MAX_BODY_SIZE_IN_BYTES - 256;

/**
 * Largest width or height an attachment may name. Only a layout hint (the UI reserves a box of that
 * shape before the file arrives), bounded so no value asks for an absurd one.
 *
 * @example
 * const box = { width: Math.min(image.width, MAX_MEDIA_DIMENSION_IN_PIXELS), height: … };
 */
export const MAX_MEDIA_DIMENSION_IN_PIXELS = 1_000_000;

/**
 * How the UI shows an attachment: `voice` is a recorded voice note (a player inline), `audio` a sound
 * file, `file` anything offered only for download.
 *
 * @example
 * AttachmentKindSchema.parse('voice') // 'voice'
 */
export const AttachmentKindSchema = z.enum(['image', 'video', 'audio', 'voice', 'file']);
/** @see AttachmentKindSchema */
export type AttachmentKind = z.infer<typeof AttachmentKindSchema>;

const TOKEN = "[A-Za-z0-9][A-Za-z0-9!#$&^_.+'-]{0,126}";
const MIME_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:; ?${TOKEN}=(?:${TOKEN}|"[^"\\\\\\r\\n]*"))*$`);

/** True for a name that is one file's, not a path: no separator, nothing but dots, no hidden characters. */
function isFileName(name: string): boolean {
  return !/[/\\]/.test(name) && !/^\.+$/.test(name) && nameProblem(name) === undefined;
}

function base64Of(size: (bytes: number) => boolean, message: string) {
  return Base64Schema.check(z.refine((text) => size(decodedBase64Length(text)), message));
}

const byteCount = (min: number, max: number) => z.number().check(z.int(), z.minimum(min), z.maximum(max));

/** The declared size is the one the declared plaintext size seals to, so no descriptor can lie about either. */
function sealsExactly(attachment: { size: number; plainSize: number; chunkSize: number }): boolean {
  const { size, plainSize, chunkSize } = attachment;
  // zod runs this even when a field failed its own check, so out-of-range values must not reach the sum.
  const inRange =
    Number.isSafeInteger(plainSize) &&
    plainSize >= 0 &&
    Number.isSafeInteger(chunkSize) &&
    chunkSize >= MIN_ATTACHMENT_CHUNK_SIZE_IN_BYTES &&
    chunkSize <= MAX_ATTACHMENT_CHUNK_SIZE_IN_BYTES;
  return inRange && size === ciphertextSizeOf(plainSize, chunkSize);
}

/**
 * One attachment as a message carries it: where its ciphertext is (`id`), how to open it (`key`,
 * `sha256`, `size`, `chunkSize`; see `attachment-cipher.ts`), and what to show before and after.
 *
 * @example
 * const descriptor: AttachmentDescriptor = {
 *   id: slot.attachmentId, key: sealed.key, sha256: sealed.sha256, size: sealed.size,
 *   plainSize: sealed.plainSize, chunkSize: sealed.chunkSize,
 *   type: 'image/jpeg', name: attachmentNameOf(file.name), kind: 'image', width: 4032, height: 3024,
 * };
 */
export const AttachmentDescriptorSchema = z
  .object({
    /** The object's id, as its upload slot named it. */
    id: AttachmentIdSchema,
    /** The file's AES-256 key: 32 bytes, base64. */
    key: base64Of((bytes) => bytes === 32, 'must be a 32-byte key'),
    /** SHA-256 of the whole ciphertext: 32 bytes, base64. */
    sha256: base64Of((bytes) => bytes === 32, 'must be a SHA-256 digest'),
    /** Ciphertext bytes, as the upload slot pinned them. */
    size: byteCount(ciphertextSizeOf(0), MAX_ATTACHMENT_SIZE_IN_BYTES),
    /** The file's bytes. */
    plainSize: byteCount(0, MAX_ATTACHMENT_FILE_SIZE_IN_BYTES),
    /** Plaintext bytes per chunk, as the ciphertext's header names it. */
    chunkSize: byteCount(MIN_ATTACHMENT_CHUNK_SIZE_IN_BYTES, MAX_ATTACHMENT_CHUNK_SIZE_IN_BYTES),
    /** The file's MIME type, parameters allowed. */
    type: z
      .string()
      .check(z.maxLength(MAX_ATTACHMENT_TYPE_LENGTH), z.regex(MIME_TYPE, 'must be a MIME type')),
    /** The file's original name, without any folder. */
    name: z
      .string()
      .check(
        z.minLength(1),
        z.maxLength(MAX_ATTACHMENT_NAME_LENGTH),
        z.refine(isFileName, 'must be a file name without folders or hidden characters'),
      ),
    kind: AttachmentKindSchema,
    /** Pixels, of an image or a video. */
    width: z.optional(z.number().check(z.int(), z.positive(), z.maximum(MAX_MEDIA_DIMENSION_IN_PIXELS))),
    /** Pixels, of an image or a video. */
    height: z.optional(z.number().check(z.int(), z.positive(), z.maximum(MAX_MEDIA_DIMENSION_IN_PIXELS))),
    /** Milliseconds, of a video, a sound or a voice note. */
    durationMs: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER))),
    /** A small JPEG or WebP preview, base64, shown until the file is downloaded. */
    thumbnail: z.optional(
      base64Of(
        (bytes) => bytes >= 1 && bytes <= MAX_THUMBNAIL_SIZE_IN_BYTES,
        `must be at most ${MAX_THUMBNAIL_SIZE_IN_BYTES} bytes`,
      ),
    ),
  })
  .check(z.refine(sealsExactly, 'size must be what plainSize seals to with chunkSize'));
/** @see AttachmentDescriptorSchema */
export type AttachmentDescriptor = z.infer<typeof AttachmentDescriptorSchema>;

/**
 * The key to the sender's profile picture, as Signal sends its profile key: inside the sender's end-to-end
 * encrypted messages, so the server, which stores the sealed picture and names it in the sender's profile
 * (`avatarId`), never has it. The picture is sealed with the attachment cipher; the digest pins its bytes.
 *
 * @example
 * const profile: ProfileKey = { avatarId: me.avatarId, key: sealed.key, sha256: sealed.sha256 };
 */
export const ProfileKeySchema = z.object({
  /** The picture's object, as the sender's profile names it. */
  avatarId: AttachmentIdSchema,
  /** The picture's AES-256 key: 32 bytes, base64. */
  key: base64Of((bytes) => bytes === 32, 'must be a 32-byte key'),
  /** SHA-256 of the picture's whole ciphertext: 32 bytes, base64. */
  sha256: base64Of((bytes) => bytes === 32, 'must be a SHA-256 digest'),
});
/** @see ProfileKeySchema */
export type ProfileKey = z.infer<typeof ProfileKeySchema>;

/**
 * A message's plaintext: its text (a caption when it carries files), a reaction's emoji, its files, and
 * the key to the sender's profile picture when it is new to this conversation.
 * Fields a later version adds are dropped, not refused, so older clients still show the rest.
 *
 * @example
 * MessagePayloadSchema.parse({ text: 'From the hike', attachments: [descriptor] });
 */
export const MessagePayloadSchema = z.object({
  text: z.optional(
    z.string().check(
      // A code point is at most two code units: the cheap bound first, then the count.
      z.maxLength(2 * MAX_MESSAGE_TEXT_LENGTH),
      z.refine(
        (text) => textLengthOf(text) <= MAX_MESSAGE_TEXT_LENGTH,
        `must be at most ${MAX_MESSAGE_TEXT_LENGTH} characters`,
      ),
    ),
  ),
  /** A reaction's emoji: one grapheme, however many code points it takes. */
  emoji: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  attachments: z.optional(
    z.array(AttachmentDescriptorSchema).check(
      z.minLength(1),
      z.maxLength(MAX_ATTACHMENTS_PER_MESSAGE),
      z.refine(
        (attachments) => new Set(attachments.map((a) => a.id)).size === attachments.length,
        'must not repeat an attachment',
      ),
    ),
  ),
  /** The key to the sender's current profile picture (see {@link ProfileKeySchema}). */
  profile: z.optional(ProfileKeySchema),
});
/** @see MessagePayloadSchema */
export type MessagePayload = z.infer<typeof MessagePayloadSchema>;

/**
 * A decrypted message's plaintext as a payload, or undefined when it is not UTF-8 JSON of that shape
 * (a hostile or broken sender): the UI shows such a message as unreadable and never sees its fields.
 * A `profile` that breaks its schema is dropped alone: the message is still shown, with no picture key.
 *
 * @example
 * const payload = parseMessagePayload(event.plaintext);
 * if (payload === undefined) showUnreadable(event);
 * else for (const attachment of payload.attachments ?? []) showPlaceholder(attachment);
 */
export function parseMessagePayload(plaintext: Uint8Array): MessagePayload | undefined {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    return undefined;
  }
  const parsed = MessagePayloadSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  if (typeof json !== 'object' || json === null || !('profile' in json)) return undefined;
  const { profile: _dropped, ...rest } = json as Record<string, unknown>;
  const withoutProfile = MessagePayloadSchema.safeParse(rest);
  return withoutProfile.success ? withoutProfile.data : undefined;
}

/**
 * A payload as the plaintext to encrypt, or undefined when it is not valid or would not fit one message
 * body once encrypted ({@link MAX_MESSAGE_PAYLOAD_SIZE_IN_BYTES}); then try again without thumbnails,
 * or send the files as messages of their own.
 *
 * @example
 * const plaintext = encodeMessagePayload(payload) ?? encodeMessagePayload(withoutThumbnails(payload));
 * if (plaintext) await e2ee.send(conversationId, plaintext, { messageId, attachmentIds: ids });
 */
export function encodeMessagePayload(payload: MessagePayload): Uint8Array | undefined {
  const parsed = MessagePayloadSchema.safeParse(payload);
  if (!parsed.success) return undefined;
  const bytes = new TextEncoder().encode(JSON.stringify(parsed.data));
  return bytes.length <= MAX_MESSAGE_PAYLOAD_SIZE_IN_BYTES ? bytes : undefined;
}

const UNSAFE_IN_FILE_NAMES =
  /[/\\\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\u2028\u2029\u115F\u1160\u3164\uFFA0\u2800]/gu;
const LONGEST_KEPT_EXTENSION = 16;

/**
 * A file's name as a sender should put it in a descriptor: folders, control and invisible characters
 * (a right-to-left override before `gpj.exe` shows `photo` + `exe.jpg` on screen) replaced by `_`, white
 * space collapsed, and a long name shortened in its middle so its extension stays. `file` when nothing
 * usable is left.
 *
 * @example
 * attachmentNameOf('C:\\Users\\ana\\photo\u202Egpj.exe') // 'C:_Users_ana_photo_gpj.exe'
 */
export function attachmentNameOf(fileName: string): string {
  // Joiners are kept for now: scripts and emoji need them between two visible characters.
  const cleaned = normaliseName(
    fileName.replace(UNSAFE_IN_FILE_NAMES, (char) => (char === '\u200C' || char === '\u200D' ? char : '_')),
  );
  let name = cleaned;
  if (cleaned.length > MAX_ATTACHMENT_NAME_LENGTH) {
    const dot = cleaned.lastIndexOf('.');
    const extension = dot > 0 && cleaned.length - dot <= LONGEST_KEPT_EXTENSION ? cleaned.slice(dot) : '';
    let stem = '';
    // Cut by code point, so no emoji is split into a lone surrogate.
    for (const char of cleaned.slice(0, cleaned.length - extension.length)) {
      if (stem.length + char.length + extension.length > MAX_ATTACHMENT_NAME_LENGTH) break;
      stem += char;
    }
    name = stem + extension;
  }
  if (isFileName(name)) return name;
  const withoutJoiners = name.replace(/[\u200C\u200D]/g, '_');
  return isFileName(withoutJoiners) ? withoutJoiners : 'file';
}
