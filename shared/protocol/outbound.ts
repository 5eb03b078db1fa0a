import { z } from 'zod';
import { ErrorCode } from './errors';
import { Base64Schema, ClientIdSchema, ConversationIdSchema, UserIdSchema } from './ids';

/** The server's acknowledgement of a `send`: the message is stored with this `seq`. */
export const AckFrameSchema = z.object({
  type: z.literal('ack'),
  requestId: ClientIdSchema.optional(),
  conversationId: ConversationIdSchema,
  messageId: ClientIdSchema,
  seq: z.number().int().positive(),
  /** Server time the message was stored, ISO 8601. */
  sentAt: z.string(),
});

/** A message pushed to a member's connection. Clients dedupe by `(conversationId, seq)`. */
export const MessageFrameSchema = z.object({
  type: z.literal('message'),
  conversationId: ConversationIdSchema,
  seq: z.number().int().positive(),
  messageId: ClientIdSchema,
  senderId: UserIdSchema,
  sentAt: z.string(),
  body: Base64Schema,
});

/** Any failure of a request; the connection stays open. */
export const ErrorFrameSchema = z.object({
  type: z.literal('error'),
  code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  /** The client's `requestId` when it sent one, else the server's request id. */
  requestId: z.string(),
});

export const OutboundFrameSchema = z.discriminatedUnion('type', [
  AckFrameSchema,
  MessageFrameSchema,
  ErrorFrameSchema,
]);

export type AckFrame = z.infer<typeof AckFrameSchema>;
export type MessageFrame = z.infer<typeof MessageFrameSchema>;
export type ErrorFrame = z.infer<typeof ErrorFrameSchema>;
export type OutboundFrame = z.infer<typeof OutboundFrameSchema>;

/** @example ackFrame({ conversationId, messageId: 'm1', seq: 1, sentAt }) */
export function ackFrame(fields: Omit<AckFrame, 'type'>): AckFrame {
  return { type: 'ack', ...fields };
}

/** @example messageFrame({ conversationId, seq, messageId, senderId, sentAt, body }) */
export function messageFrame(fields: Omit<MessageFrame, 'type'>): MessageFrame {
  return { type: 'message', ...fields };
}

/** @example errorFrame({ code: ErrorCode.UnknownAction, message: 'Unknown action "x"', requestId }) */
export function errorFrame(fields: Omit<ErrorFrame, 'type'>): ErrorFrame {
  return { type: 'error', ...fields };
}

/**
 * Parses a frame the server sent. Throws a `ZodError` when the frame is not one of ours.
 *
 * @example
 * socket.on('message', (data) => handle(parseOutboundFrame(String(data))));
 */
export function parseOutboundFrame(text: string): OutboundFrame {
  return OutboundFrameSchema.parse(JSON.parse(text));
}
