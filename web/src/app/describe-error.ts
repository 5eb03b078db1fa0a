import { ApiError } from '../../../shared/client/api-client';
import { NotInGroupError } from '../../../shared/e2ee/e2ee-client';
import { AttachmentTooLargeError } from '../../../shared/e2ee/errors';
import { ErrorCode } from '../../../shared/protocol/errors';
import { PictureRefusedError } from './pictures';
import type { ConversationView } from './store';

/** A queued file whose encrypted bytes this browser no longer has (its storage was cleared). */
export class UploadLostError extends Error {
  constructor() {
    super('This file is no longer in this browser: attach it again.');
    this.name = 'UploadLostError';
  }
}

/**
 * A message too large to send: a caption at the limit with a file's details, or a text the composer let
 * through (one full of control characters, which take six bytes each once encoded).
 */
export class PayloadRefusedError extends Error {
  constructor(withFile: boolean) {
    super(
      withFile
        ? 'This message is too long to send with its file: shorten the caption.'
        : 'This message is too long to send: shorten it.',
    );
    this.name = 'PayloadRefusedError';
  }
}

function hoursOf(seconds: number | undefined): string {
  const hours = Math.ceil((seconds ?? 3600) / 3600);
  return hours <= 1 ? 'an hour' : `${hours} hours`;
}

/** Words for an API refusal a person can act on. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    switch (error.code) {
      case ErrorCode.RateLimited:
        return `Slow down a little: try again in ${error.retryAfterSeconds ?? 'a few'} seconds.`;
      case ErrorCode.Forbidden:
        return 'You are not allowed to do that here.';
      case ErrorCode.NotFound:
        return 'That is not there any more.';
      case ErrorCode.Conflict:
        return error.detail;
      case ErrorCode.LimitReached:
        return error.detail.includes('attachmentBytesPerUserPerDay')
          ? `You have sent as many files as a day allows. Try again in ${hoursOf(error.retryAfterSeconds)}.`
          : `That would pass a limit of your account: ${error.detail}`;
      case ErrorCode.ValidationFailed:
        return `Check what you entered: ${error.detail}`;
      default:
        return 'Something went wrong on our side. Try again in a moment.';
    }
  }
  if (error instanceof AttachmentTooLargeError || error instanceof PictureRefusedError) return error.message;
  if (error instanceof UploadLostError || error instanceof PayloadRefusedError) return error.message;
  if (error instanceof NotInGroupError)
    return 'This browser is still being added to the conversation. Try again in a moment.';
  if (error instanceof Error && error.name === 'TypeError')
    return 'You are offline: that needs the connection. Try again once it is back.';
  return 'Something went wrong. Try again in a moment.';
}

/** Why a message stays unsent, in words: a refusal of the conversation itself says which, else as {@link describeError}. */
export function whyNotSent(error: unknown, conversation: ConversationView | undefined): string {
  if (error instanceof ApiError && error.code === ErrorCode.Forbidden) {
    // The server says no more (a block reads as the end of a friendship), and neither does this.
    return conversation?.kind === 'group'
      ? 'You are no longer a member of this group.'
      : 'You can’t message this person now: you are not friends.';
  }
  return describeError(error);
}
