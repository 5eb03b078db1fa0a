import type { OutboundFrame, PushFrame } from '../../../shared/protocol/outbound';

/** The socket's answers to frames this client sent: their requests await them, no push handler does. */
type ReplyType = Exclude<OutboundFrame['type'], PushFrame['type']>;
/** Every reply kind, named once: a reply kind the protocol adds fails to compile until it is listed. */
const REPLY_TYPES: Readonly<Record<ReplyType, true>> = { ack: true, ok: true, error: true, pong: true };

/**
 * One handler per kind of push. A kind the protocol adds fails to compile until it has one, so no push
 * is dropped by a `default:` nobody looked at.
 */
export type PushHandlers = {
  readonly [K in PushFrame['type']]: (frame: Extract<PushFrame, { type: K }>) => unknown;
};

function isPush(frame: OutboundFrame): frame is PushFrame {
  return !Object.hasOwn(REPLY_TYPES, frame.type);
}

/**
 * The one way a push reaches the model: each kind to its handler, replies to nothing, and a handler's
 * failure to `onError` (the screens' notice) rather than to the socket, which must go on reading.
 *
 * @example
 * const onFrame = routePushes({ receipt: (frame) => receipts.heard(frame), … }, (error) => notify(error));
 * socket.onFrame = (frame) => void onFrame(frame);
 */
export function routePushes(
  handlers: PushHandlers,
  onError: (error: unknown) => void,
): (frame: OutboundFrame) => Promise<void> {
  return async (frame) => {
    if (!isPush(frame)) return;
    // The mapped type pairs each kind with its handler; TypeScript cannot follow that through an index.
    const handle = handlers[frame.type] as (frame: PushFrame) => unknown;
    try {
      await handle(frame);
    } catch (error) {
      onError(error);
    }
  };
}
