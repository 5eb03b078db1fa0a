import { type ConversationEvent, ConversationEventSchema } from '../../protocol/resources';
import * as z from '../../zod';
import { type AttachmentDescriptor, AttachmentDescriptorSchema } from '../attachment-payload';
import type { UndecryptableReason } from '../client/chat-event';

/**
 * A message as a device keeps it, decrypted, in its encrypted store: what it shows, and what a history
 * transfer or backup carries to another device of the same user (never MLS state).
 */
export interface KeptMessage {
  readonly seq: number;
  readonly messageId: string;
  readonly senderId: string;
  readonly sentAt: string;
  text: string;
  /** The files it carries (their keys too: the history is stored encrypted); its text is their caption. */
  attachments?: AttachmentDescriptor[];
  /** The `seq` this message replies to. */
  replyTo?: number;
  edited?: boolean;
  deleted?: boolean;
  /** Why this device cannot show it. */
  undecryptable?: UndecryptableReason;
  /** A change of the group the server logged here (shown as a line of its own, never as a message). */
  event?: ConversationEvent;
  /** Emoji → user ids who reacted with it. */
  reactions: Record<string, string[]>;
}

/**
 * The schema every kept message is read back with, from this device's store or another device's archive.
 *
 * @example
 * const message = KeptMessageSchema.parse(JSON.parse(text));
 */
export const KeptMessageSchema: z.ZodMiniType<KeptMessage> = z.object({
  seq: z.number().check(z.int()),
  messageId: z.string(),
  senderId: z.string(),
  sentAt: z.string(),
  text: z.string(),
  attachments: z.optional(z.array(AttachmentDescriptorSchema)),
  replyTo: z.optional(z.number().check(z.int())),
  edited: z.optional(z.boolean()),
  deleted: z.optional(z.boolean()),
  undecryptable: z.optional(z.enum(['before-join', 'not-member', 'rejected'])),
  event: z.optional(ConversationEventSchema),
  reactions: z.record(z.string(), z.array(z.string())),
});
