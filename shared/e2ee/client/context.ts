import type { RouteResponse } from '../../api/route-responses';
import type { RouteRequest, Routes } from '../../api/routes';
import type { ApiClient } from '../../client/api-client';
import type { SendableMessageKindSchema } from '../../protocol/ids';
import type * as z from '../../zod';
import type { DeviceVault } from '../device-vault';
import type { HttpDirectory } from '../http-directory';
import type { DeviceAddress } from '../identity';
import type { StateStore } from '../state-store';
import type { ChatEvent } from './chat-event';

export type SendableMessageKind = z.infer<typeof SendableMessageKindSchema>;
export type MessageAck = RouteResponse<'postMessage'>;
type MessageBody = RouteRequest<Routes['postMessage']>['body'];

/**
 * Posts an encrypted message to a conversation and resolves with the server's answer; throws `ApiError`
 * for a refusal. A retry with the same `messageId` returns the first answer.
 */
export type PostMessage = (conversationId: string, body: MessageBody) => Promise<MessageAck>;

/** The kind of a log entry that carries an MLS commit (its id is `commit-{epoch}`: see `epochOfCommitMessageId`). */
export const COMMIT_KIND = 'commit';

/** How many times a commit is rebuilt after losing its epoch to another member's. */
export const COMMIT_ATTEMPTS = 5;

/**
 * How long a commit waits, times its attempt, when the server answers that the same commit is being
 * posted right now (`SEND_IN_PROGRESS`: another tab or a retry of this device holds its claim).
 */
export const SEND_IN_PROGRESS_WAIT_IN_MS = 100;

/** How long `send` polls for a Welcome when another member's commit is adding this device: 0.1 s … 1.6 s. */
export const WELCOME_WAIT_FIRST_IN_MS = 100;
export const WELCOME_WAIT_LAST_IN_MS = 1600;

/** What every part of one device's client works with: built once by `E2eeClient.open`. */
export interface ClientContext {
  readonly api: ApiClient;
  readonly vault: DeviceVault;
  readonly store: StateStore;
  readonly directory: HttpDirectory;
  /** This device. */
  readonly self: DeviceAddress;
  readonly clock: () => number;
  readonly onEvents: (events: readonly ChatEvent[]) => void | Promise<void>;
  readonly onRevoked: () => void;
  readonly post: PostMessage;
}
