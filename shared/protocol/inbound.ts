import * as z from '../zod';
import {
  AttachmentIdsSchema,
  Base64Schema,
  ClientIdSchema,
  ConversationIdSchema,
  carriesAttachmentsRightly,
  SendableMessageKindSchema,
  SeqSchema,
  UserIdSchema,
} from './ids';

/**
 * Frames a client sends over the WebSocket. API Gateway picks the route from
 * `action` (`$request.body.action`); each route's handler parses its frame
 * with the schema here.
 */
export const SendFrameSchema = z
  .object({
    action: z.literal('send'),
    /** Echoed in the reply, so a client can match replies to requests. */
    requestId: z.optional(ClientIdSchema),
    /** The conversation to post to. */
    conversationId: z.optional(ConversationIdSchema),
    /** Or: the other user of a direct conversation, created on first use. */
    recipientId: z.optional(UserIdSchema),
    /** Chosen by the client; a retried send with the same id returns the first result. */
    messageId: ClientIdSchema,
    /** Opaque ciphertext, base64. The server never looks inside. */
    body: Base64Schema,
    /** @default 'message'. An edit, reply or reaction names the message it is about in `refSeq`. */
    kind: z.optional(SendableMessageKindSchema),
    refSeq: z.optional(SeqSchema),
    /** The attachments the message carries (uploaded with `POST …/attachments`): a message or a reply only. */
    attachmentIds: z.optional(AttachmentIdsSchema),
  })
  .check(
    z.refine(carriesAttachmentsRightly, {
      message: 'attachmentIds go only with a message or a reply',
      path: ['attachmentIds'],
    }),
    z.refine((frame) => (frame.conversationId === undefined) !== (frame.recipientId === undefined), {
      message: 'exactly one of conversationId and recipientId is required',
      path: ['conversationId'],
    }),
    z.refine((frame) => ((frame.kind ?? 'message') === 'message') === (frame.refSeq === undefined), {
      message: 'refSeq is required for an edit, reply or reaction, and only for them',
      path: ['refSeq'],
    }),
  );

export type SendFrame = z.infer<typeof SendFrameSchema>;

/** Deletes one of the caller's own messages: its body goes, a tombstone keeps its place. */
export const DeleteFrameSchema = z.object({
  action: z.literal('delete'),
  requestId: z.optional(ClientIdSchema),
  conversationId: ConversationIdSchema,
  seq: SeqSchema,
});
export type DeleteFrame = z.infer<typeof DeleteFrameSchema>;

/** Moves the caller's delivered and/or read marks forward (never back). */
export const ReceiptFrameSchema = z
  .object({
    action: z.literal('receipt'),
    requestId: z.optional(ClientIdSchema),
    conversationId: ConversationIdSchema,
    delivered: z.optional(SeqSchema),
    read: z.optional(SeqSchema),
  })
  .check(
    z.refine((frame) => frame.delivered !== undefined || frame.read !== undefined, {
      message: 'at least one of delivered and read is required',
      path: ['read'],
    }),
  );
export type ReceiptFrame = z.infer<typeof ReceiptFrameSchema>;

/** The caller started or stopped typing in a conversation. Never stored. */
export const TypingFrameSchema = z.object({
  action: z.literal('typing'),
  requestId: z.optional(ClientIdSchema),
  conversationId: ConversationIdSchema,
  state: z.enum(['start', 'stop']),
});
export type TypingFrame = z.infer<typeof TypingFrameSchema>;

/**
 * Keeps an idle connection open: API Gateway closes a connection after 10 minutes without a frame from
 * the client, pushes to it do not count. Answered `{ "type": "pong" }` by API Gateway itself (a MOCK
 * integration: no function runs, and the frame carries nothing else, not even a `requestId`).
 */
export const PingFrameSchema = z.object({ action: z.literal('ping') });
export type PingFrame = z.infer<typeof PingFrameSchema>;

/** Every action the WebSocket API routes, besides the `$`-routes. */
export const InboundAction = {
  Send: 'send',
  Delete: 'delete',
  Receipt: 'receipt',
  Typing: 'typing',
  Ping: 'ping',
} as const;
export type InboundAction = (typeof InboundAction)[keyof typeof InboundAction];

/**
 * Builds a `send` frame.
 *
 * @example
 * socket.send(JSON.stringify(sendFrame({ recipientId: bob, messageId: 'm1', body: 'aGk=' })));
 */
export function sendFrame(fields: Omit<SendFrame, 'action'>): SendFrame {
  return { action: 'send', ...fields };
}

/** @example deleteFrame({ conversationId, seq: 4 }) */
export function deleteFrame(fields: Omit<DeleteFrame, 'action'>): DeleteFrame {
  return { action: 'delete', ...fields };
}

/** @example receiptFrame({ conversationId, read: 12 }) */
export function receiptFrame(fields: Omit<ReceiptFrame, 'action'>): ReceiptFrame {
  return { action: 'receipt', ...fields };
}

/** @example typingFrame({ conversationId, state: 'start' }) */
export function typingFrame(fields: Omit<TypingFrame, 'action'>): TypingFrame {
  return { action: 'typing', ...fields };
}

/** @example socket.send(JSON.stringify(pingFrame())) */
export function pingFrame(): PingFrame {
  return { action: 'ping' };
}

/** What a request frame looks like before its route's schema checks it. */
const EnvelopeSchema = z.object({ action: z.string(), requestId: z.optional(ClientIdSchema) });

/**
 * Reads the client's `requestId` from any frame, valid or not, so an error can echo it.
 *
 * @example
 * peekRequestId('{"action":"nope","requestId":"r1"}') // 'r1'
 */
export function peekRequestId(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const candidate = ClientIdSchema.safeParse((raw as { requestId?: unknown }).requestId);
  return candidate.success ? candidate.data : undefined;
}

/** Parses the common envelope `{ action, requestId? }` of any request frame. */
export function parseEnvelope(raw: unknown) {
  return EnvelopeSchema.safeParse(raw);
}
