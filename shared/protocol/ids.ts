import * as z from '../zod';
import { MAX_ATTACHMENTS_PER_MESSAGE, MAX_CLIENT_ID_LENGTH } from './limits';

/** A Cognito user id (`sub`). */
export const UserIdSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9-]+$/, 'must be a user id'));

/** A conversation id as the server issues it. */
export const ConversationIdSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9_-]+$/, 'must be a conversation id'));

/** An id a client chooses (message ids, request ids): printable, no separators the server uses. */
export const ClientIdSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(MAX_CLIENT_ID_LENGTH),
    z.regex(/^[A-Za-z0-9._:-]+$/, 'must be 1-64 characters of A-Z a-z 0-9 . _ : -'),
  );

/** An attachment's id as the server issues it: 128 random bits, base64url. It names an object and nothing else. */
export const AttachmentIdSchema = z
  .string()
  .check(z.length(22), z.regex(/^[A-Za-z0-9_-]+$/, 'must be an attachment id'));

/** A backup chunk's id as the server issues it: 128 random bits, base64url, like an attachment's. */
export const BackupChunkIdSchema = z
  .string()
  .check(z.length(22), z.regex(/^[A-Za-z0-9_-]+$/, 'must be a backup chunk id'));

/**
 * The attachments a message carries, by id: routing metadata the server needs to keep them while the
 * message lives and delete them with it. What each one is (key, name, type) is inside the ciphertext.
 */
export const AttachmentIdsSchema = z.array(AttachmentIdSchema).check(
  z.minLength(1),
  z.maxLength(MAX_ATTACHMENTS_PER_MESSAGE),
  z.refine((ids) => new Set(ids).size === ids.length, 'must not repeat an attachment'),
);

/** Attachments go with a message or a reply (whose caption and files they are), never an edit, reaction or commit. */
export function carriesAttachmentsRightly(send: {
  kind?: string;
  attachmentIds?: readonly string[];
}): boolean {
  return send.attachmentIds === undefined || (send.kind ?? 'message') === 'message' || send.kind === 'reply';
}

/** A device's id, chosen by the client when it registers the device (same alphabet as {@link ClientIdSchema}). */
export const DeviceIdSchema = ClientIdSchema;

/** A message's place in its conversation's log: 1, 2, 3, … with no gaps. */
export const SeqSchema = z.number().check(z.int(), z.positive(), z.maximum(Number.MAX_SAFE_INTEGER));

/** A unique, public handle: lowercase letters, digits, `_` and `.`; 3-32 characters. */
export const UsernameSchema = z
  .string()
  .check(z.minLength(3), z.maxLength(32), z.regex(/^[a-z0-9_.]+$/, 'must be 3-32 characters of a-z 0-9 _ .'));

/**
 * Characters no name may hold: controls, line and paragraph separators, unassigned and private
 * code points, lone surrogates, bidirectional controls (which reorder the text around them), and
 * letters that draw nothing (Hangul fillers, the blank Braille pattern). Format characters are
 * judged by {@link invisibleAt}.
 */
const FORBIDDEN_IN_NAMES = /[\p{Cc}\p{Cs}\p{Co}\p{Cn}\u2028\u2029\u115F\u1160\u3164\uFFA0\u2800]/u;

const VISIBLE = /[^\s\p{Cf}\p{Cc}\p{Z}]/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;

/**
 * The first format character (zero-width spaces, bidi marks, soft hyphens, word joiners, tags…)
 * that is not one of the few a script or an emoji needs, or -1: a zero-width joiner or non-joiner
 * between two visible characters (Persian and Indic words, family emoji), and emoji tag
 * characters after a flag.
 */
function invisibleAt(name: string): number {
  const chars = Array.from(name);
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] as string;
    if (!/\p{Cf}/u.test(char)) continue;
    const before = chars[i - 1] ?? '';
    const after = chars[i + 1] ?? '';
    if ((char === '\u200C' || char === '\u200D') && VISIBLE.test(before) && VISIBLE.test(after)) continue;
    const code = char.codePointAt(0) as number;
    if (
      code >= 0xe0020 &&
      code <= 0xe007f &&
      (PICTOGRAPH.test(before) || /[\u{E0020}-\u{E007F}]/u.test(before))
    )
      continue;
    return i;
  }
  return -1;
}

/**
 * Normalises a name people see: Unicode NFC (so the same name is stored one way), every run of
 * white space as one space, trimmed.
 */
export function normaliseName(name: string): string {
  return name
    .normalize('NFC')
    .replace(/[\s\p{Zs}]+/gu, ' ')
    .trim();
}

/** Why a name may not be used, or undefined when it may. */
export function nameProblem(name: string): string | undefined {
  if (FORBIDDEN_IN_NAMES.test(name)) return 'must not contain control or invisible characters';
  if (invisibleAt(name) >= 0) return 'must not contain control or invisible characters';
  if (!VISIBLE.test(name)) return 'must contain a visible character';
  return undefined;
}

/** A name as a client may set it: normalised, then refused if it holds control or invisible characters. */
function nameInput(maxLength: number) {
  return z.string().check(
    z.describe(
      'Stored in Unicode NFC with every run of white space as one space, trimmed. Refused with control characters, bidirectional controls, zero-width or other invisible characters (a zero-width joiner or non-joiner between two visible characters, as words and emoji need, is kept).',
    ),
    z.overwrite(normaliseName),
    z.minLength(1),
    z.maxLength(maxLength),
    z.refine((name) => nameProblem(name) === undefined, {
      error: (issue) => nameProblem(String(issue.input)) ?? 'must be a name',
    }),
  );
}

/**
 * A name people see, as stored and served: any script, trimmed, 1-64 characters. What a client
 * may set is {@link DisplayNameInputSchema}.
 */
export const DisplayNameSchema = z.string().check(z.trim(), z.minLength(1), z.maxLength(64));

/** A display name as a client sets it: NFC, white space collapsed, no control or invisible characters. */
export const DisplayNameInputSchema = nameInput(64);

/** A group's name, as stored and served: any script, trimmed, 1-100 characters. */
export const GroupNameSchema = z.string().check(z.trim(), z.minLength(1), z.maxLength(100));

/** A group's name as a client sets it: NFC, white space collapsed, no control or invisible characters. */
export const GroupNameInputSchema = nameInput(100);

/** An opaque paging cursor: pass back exactly what the server returned. */
export const CursorSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(512),
    z.regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor the server returned'),
  );

const SENDABLE_MESSAGE_KINDS = ['message', 'edit', 'reply', 'reaction'] as const;

/**
 * What a message is to its conversation. Edits, replies and reactions are
 * messages of their own (encrypted like any other) that reference a `seq`.
 * A `commit` is an MLS commit the server accepted for its epoch
 * (`POST /conversations/{id}/commits`); clients cannot send one as a message.
 * A `skipped` entry holds a `seq` whose send never finished (the server fills
 * it so the log stays gap-free): no sender, no body, nothing to show.
 * An `event` is a change of the group the server itself logged (members added,
 * removed or gone, a new name, a new admin): its body is not ciphertext but the
 * JSON of a `ConversationEvent`, its sender the member who made the change.
 */
export const MessageKindSchema = z.enum([...SENDABLE_MESSAGE_KINDS, 'commit', 'skipped', 'event']);

/** The kinds a client may send through the message paths: every kind but `commit`, `skipped` and `event`. */
export const SendableMessageKindSchema = z.enum(SENDABLE_MESSAGE_KINDS);
export type MessageKind = z.infer<typeof MessageKindSchema>;

/** Standard base64 (RFC 4648 §4), padded. */
export const Base64Schema = z
  .string()
  .check(z.regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64'));

/**
 * Number of bytes a padded base64 string decodes to, without decoding it.
 *
 * @example
 * decodedBase64Length('aGk=') // 2
 */
export function decodedBase64Length(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

/**
 * The bytes of a base64url string (RFC 4648 §5), padded or not, as browsers give a push subscription's keys;
 * `undefined` when it is not base64url.
 *
 * @example
 * decodeBase64Url('aGk')?.length // 2
 */
export function decodeBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return undefined;
  const bare = text.replace(/=+$/, '');
  if (bare.length % 4 === 1) return undefined;
  const standard = bare
    .replaceAll('-', '+')
    .replaceAll('_', '/')
    .padEnd(Math.ceil(bare.length / 4) * 4, '=');
  return Uint8Array.from(atob(standard), (char) => char.charCodeAt(0));
}

/** The log's ids of accepted MLS commits (`commit-{epoch}`): no sent message may take one. */
export const COMMIT_MESSAGE_ID_PREFIX = 'commit-';

/** The log's message id of an epoch's commit: one per epoch, so appending it again is a retry. */
export const commitMessageId = (epoch: number) => `${COMMIT_MESSAGE_ID_PREFIX}${epoch}`;

/** The epoch a commit's log entry was accepted at, from its message id. */
export const epochOfCommitMessageId = (messageId: string) =>
  Number(messageId.slice(COMMIT_MESSAGE_ID_PREFIX.length));

/** The sender of `skipped` entries: no user's id (Cognito ids are UUIDs). */
export const SKIPPED_SENDER_ID = 'none';

/** The message id of the `skipped` entry at a seq. */
export const skippedMessageId = (seq: number) => `skipped-${seq}`;
