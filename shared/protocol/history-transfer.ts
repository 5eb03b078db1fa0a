import * as z from '../zod';
import { Base64Schema, DeviceIdSchema } from './ids';
import { MAX_HISTORY_TRANSFER_FIELD_LENGTH } from './limits';

/**
 * A history transfer: one device of a user (the old one, `fromDeviceId`) sends the decrypted history it
 * holds to another device of the same user (the new one, `toDeviceId`), as a stream of chunks sealed to
 * the new device. The server relays opaque bytes only: the request, offer, approval and each chunk's
 * descriptor are the devices' own, and the chunks live in the object store.
 */

/** A transfer's id as the server issues it: 128 random bits, base64url (22 characters). */
export const HistoryTransferIdSchema = z
  .string()
  .check(z.length(22), z.regex(/^[A-Za-z0-9_-]+$/, 'must be a history transfer id'));

/**
 * Where a transfer stands: `requested` (by the new device) → `offered` → `approved` (both by the old
 * device) → `sent` (its last chunk announced) → `done` (the new device confirmed every chunk). Any open
 * state may become `cancelled`; `done` and `cancelled` are final.
 */
export const HistoryTransferStateSchema = z.enum([
  'requested',
  'offered',
  'approved',
  'sent',
  'done',
  'cancelled',
]);
export type HistoryTransferState = z.infer<typeof HistoryTransferStateSchema>;

/** The states a transfer can still leave. */
export const OPEN_HISTORY_TRANSFER_STATES: readonly HistoryTransferState[] = [
  'requested',
  'offered',
  'approved',
  'sent',
];

/** Whether a transfer in this state can still change (and so holds one of the user's open slots). */
export function isOpenHistoryTransferState(state: HistoryTransferState): boolean {
  return OPEN_HISTORY_TRANSFER_STATES.includes(state);
}

/** Opaque bytes the devices exchange through the server: base64, 1 to 1,024 characters. */
export const HistoryTransferFieldSchema = Base64Schema.check(
  z.minLength(1),
  z.maxLength(
    MAX_HISTORY_TRANSFER_FIELD_LENGTH,
    `must be at most ${MAX_HISTORY_TRANSFER_FIELD_LENGTH} characters`,
  ),
);

const TimestampSchema = z.string().check(z.describe('ISO 8601, UTC'));
const CountSchema = z.number().check(z.int(), z.nonnegative());

/**
 * A history transfer as its user's devices see it, over HTTP and in `history-transfer` pushes.
 *
 * @example
 * const transfer = HistoryTransferSchema.parse(await response.json());
 * if (transfer.state === 'approved' && transfer.fromDeviceId === myDeviceId) startSending(transfer);
 */
export const HistoryTransferSchema = z.object({
  transferId: HistoryTransferIdSchema,
  /** The old device, which holds the history and sends it. */
  fromDeviceId: DeviceIdSchema,
  /** The new device, which asked for it. */
  toDeviceId: DeviceIdSchema,
  state: HistoryTransferStateSchema,
  /** The new device's request (its signed public key), set at creation. */
  request: HistoryTransferFieldSchema,
  /** The old device's offer, set when it became `offered`. */
  offer: z.optional(HistoryTransferFieldSchema),
  /** The old device's approval (the sealed key), set when it became `approved`. */
  approval: z.optional(HistoryTransferFieldSchema),
  /** Chunks the old device has announced. */
  chunks: CountSchema,
  /** Their total size in bytes. */
  bytes: CountSchema,
  /** Chunks the new device has confirmed, `0..chunks`. */
  received: CountSchema,
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
  /** After this the transfer is gone: its routes answer 404 and its chunks are deleted. */
  expiresAt: TimestampSchema,
});
export type HistoryTransfer = z.infer<typeof HistoryTransferSchema>;
