import * as z from '../zod';
import { MAX_CLIENT_ID_LENGTH } from './limits';

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

/** A device's id, chosen by the client when it registers the device (same alphabet as {@link ClientIdSchema}). */
export const DeviceIdSchema = ClientIdSchema;

/** A message's place in its conversation's log: 1, 2, 3, … with no gaps. */
export const SeqSchema = z.number().check(z.int(), z.positive(), z.maximum(Number.MAX_SAFE_INTEGER));

/** A unique, public handle: lowercase letters, digits, `_` and `.`; 3-32 characters. */
export const UsernameSchema = z
  .string()
  .check(z.minLength(3), z.maxLength(32), z.regex(/^[a-z0-9_.]+$/, 'must be 3-32 characters of a-z 0-9 _ .'));

/** A name people see: any script, trimmed, 1-64 characters. */
export const DisplayNameSchema = z.string().check(z.trim(), z.minLength(1), z.maxLength(64));

/** A group's name: any script, trimmed, 1-100 characters. */
export const GroupNameSchema = z.string().check(z.trim(), z.minLength(1), z.maxLength(100));

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
 */
export const MessageKindSchema = z.enum([...SENDABLE_MESSAGE_KINDS, 'commit', 'skipped']);

/** The kinds a client may send through the message paths: every kind but `commit` and `skipped`. */
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
