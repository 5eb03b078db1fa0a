import { z } from 'zod';
import { Base64Schema, ClientIdSchema, ConversationIdSchema, UserIdSchema } from './ids';

/**
 * Frames a client sends over the WebSocket. API Gateway picks the route from
 * `action` (`$request.body.action`); each route's handler parses its frame
 * with the schema here.
 */
export const SendFrameSchema = z
  .object({
    action: z.literal('send'),
    /** Echoed in the reply, so a client can match replies to requests. */
    requestId: ClientIdSchema.optional(),
    /** The conversation to post to. */
    conversationId: ConversationIdSchema.optional(),
    /** Or: the other user of a direct conversation, created on first use. */
    recipientId: UserIdSchema.optional(),
    /** Chosen by the client; a retried send with the same id returns the first result. */
    messageId: ClientIdSchema,
    /** Opaque ciphertext, base64. The server never looks inside. */
    body: Base64Schema,
  })
  .refine((frame) => (frame.conversationId === undefined) !== (frame.recipientId === undefined), {
    message: 'exactly one of conversationId and recipientId is required',
    path: ['conversationId'],
  });

export type SendFrame = z.infer<typeof SendFrameSchema>;

/** Every action the WebSocket API routes, besides the `$`-routes. */
export const InboundAction = { Send: 'send' } as const;
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

/** What a request frame looks like before its route's schema checks it. */
const EnvelopeSchema = z.object({ action: z.string(), requestId: ClientIdSchema.optional() });

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
