import * as ws from 'ws';

// Exported by `ws` at runtime, though its type declarations leave it out.
const { Receiver } = ws as unknown as { Receiver: unknown };

import { MAX_FRAME_SIZE_IN_BYTES } from '../../../shared/protocol/limits';

interface ReceiverInternals {
  _isServer: boolean;
  _opcode: number;
  _payloadLength: number;
  haveLength(cb: (error?: Error) => void): void;
  createError(type: ErrorConstructor, message: string, prefix: boolean, status: number, code: string): Error;
}

let installed = false;

/**
 * API Gateway limits each WebSocket frame to 32 KB and each message to
 * 128 KB. `ws` has one limit for both (`maxPayload`, checked against the
 * message), so the per-frame check is added to its receiver, for server-side
 * sockets only. Closes with 1009 (message too big), like the message limit.
 * Pinned to the `ws` version in package.json; a test covers it.
 */
export function enforceFrameLimit(): void {
  if (installed) return;
  installed = true;
  const prototype = (Receiver as unknown as { prototype: ReceiverInternals }).prototype;
  const haveLength = prototype.haveLength;
  prototype.haveLength = function (this: ReceiverInternals, cb) {
    if (this._isServer && this._opcode < 0x08 && this._payloadLength > MAX_FRAME_SIZE_IN_BYTES) {
      cb(
        this.createError(RangeError, 'Frame size exceeded', false, 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'),
      );
      return;
    }
    haveLength.call(this, cb);
  };
}
