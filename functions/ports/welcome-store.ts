import type { Page } from '../../shared/protocol/resources';
import type { StoredBytes } from './blob-store';

/** An MLS Welcome waiting for one device; opaque bytes to the server. */
export interface StoredWelcome {
  readonly userId: string;
  readonly deviceId: string;
  readonly conversationId: string;
  /** The epoch the Welcome joins the group at. */
  readonly epoch: number;
  /** Inline, or a pointer to the one copy every recipient of a large Welcome shares. */
  readonly welcome: StoredBytes;
  /** Epoch ms. */
  readonly createdAt: number;
}

/** Welcomes per device, until the device acknowledges them (or they expire). */
export interface WelcomeStore {
  /** Stores each welcome, replacing one for the same device, conversation and epoch. */
  put(welcomes: readonly StoredWelcome[]): Promise<void>;
  /**
   * A page of the device's welcomes, by conversation id then epoch. With
   * `maxBase64Bytes` the page stops (with a cursor) before the Welcomes' bytes,
   * as base64, pass it; it always holds at least one.
   */
  list(
    userId: string,
    deviceId: string,
    page: { limit: number; cursor?: string | undefined; maxBase64Bytes?: number },
  ): Promise<Page<StoredWelcome>>;
  /** Removes one welcome; a missing one is no error. */
  remove(userId: string, deviceId: string, conversationId: string, epoch: number): Promise<void>;
}
