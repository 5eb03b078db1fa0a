import type { ConversationEvent } from '../../protocol/resources';
import type { DeviceAddress } from '../identity';
import type { SendableMessageKind } from './context';

/** Something the log held, as this device sees it. */
export type ChatEvent =
  | {
      readonly kind: 'message';
      readonly conversationId: string;
      readonly seq: number;
      readonly messageId: string;
      readonly senderId: string;
      /** `undefined` for this device's own messages read back from the log. */
      readonly senderDeviceId: string | undefined;
      readonly sentAt: string;
      readonly messageKind: SendableMessageKind;
      readonly refSeq?: number;
      readonly plaintext: Uint8Array;
      /** Sent by this device. */
      readonly own: boolean;
    }
  | {
      /** A message this device cannot read: see {@link UndecryptableReason}. */
      readonly kind: 'undecryptable';
      readonly conversationId: string;
      readonly seq: number;
      readonly messageId: string;
      readonly senderId: string;
      readonly reason: UndecryptableReason;
    }
  | { readonly kind: 'deleted'; readonly conversationId: string; readonly seq: number }
  | {
      /**
       * A change of the group the server logged (members added, removed or gone, a new name, a new admin):
       * not encrypted, the same for every member at the same `seq`. See `ConversationEvent`.
       */
      readonly kind: 'group-event';
      readonly conversationId: string;
      readonly seq: number;
      readonly messageId: string;
      readonly senderId: string;
      readonly sentAt: string;
      readonly event: ConversationEvent;
    }
  | {
      /**
       * A commit this device refused and skipped: it adds a device the directory does not vouch for, or is
       * not a valid commit for the group (garbage, truncated, replayed). Every honest device skips it alike,
       * so the group goes on without it; whoever made it is left behind in a group of their own.
       */
      readonly kind: 'refused-commit';
      readonly conversationId: string;
      readonly seq: number;
      readonly epoch: number;
      readonly senderId: string;
      readonly reason: string;
    }
  | {
      /** A commit changed the group's devices (or only its keys). */
      readonly kind: 'membership';
      readonly conversationId: string;
      readonly seq: number;
      readonly epoch: number;
      readonly added: readonly DeviceAddress[];
      readonly removed: readonly DeviceAddress[];
      /** This device was removed: it reads nothing new until a commit adds it again. */
      readonly removedSelf: boolean;
    };

/**
 * Why a device cannot read a message:
 * - `before-join`: sent before this device first joined the group (a new browser, or a member added later);
 * - `not-member`: sent while this device was out of the group it had been in (its user was removed and
 *   added back): a gap in membership, not a late device;
 * - `rejected`: refused (garbage, tampered, forged, replayed).
 */
export type UndecryptableReason = 'before-join' | 'not-member' | 'rejected';
