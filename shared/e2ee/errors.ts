/**
 * Errors of the end-to-end encryption module. One root, {@link E2eeError}; callers branch with `instanceof`
 * and never on `message`. Messages never contain keys, plaintext or ciphertext.
 *
 * @example
 * try { await session.decrypt(bytes); } catch (e) { if (e instanceof MessageRejectedError) markUnreadable(); }
 */
export class E2eeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'E2eeError';
  }
}

/** A member's credential did not pass the directory check (unknown device, revoked, or another key). */
export class CredentialRejectedError extends E2eeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CredentialRejectedError';
  }
}

/** This device was revoked: it cannot register again, and its groups have removed it. */
export class DeviceRevokedError extends E2eeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeviceRevokedError';
  }
}

/** Bytes that are not a well-formed message of the expected kind (truncated, trailing bytes, wrong type). */
export class MalformedMessageError extends E2eeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MalformedMessageError';
  }
}

/** A well-formed message that failed decryption or authentication (tampered, or keys no longer held). */
export class MessageRejectedError extends E2eeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MessageRejectedError';
  }
}

/**
 * A commit or proposal for another epoch than the group's: typically a commit that lost the race for its
 * epoch. Apply the winner, then retry.
 */
export class WrongEpochError extends E2eeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WrongEpochError';
  }
}

/** An operation the group state does not allow (not a member, removed, unknown device, no matching key). */
export class GroupStateError extends E2eeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GroupStateError';
  }
}

/** A stored value could not be read back (wrong key, tampered or truncated). */
export class StateStoreError extends E2eeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StateStoreError';
  }
}

/**
 * An attachment's ciphertext is not the one its message describes: another digest or size, a changed,
 * missing, reordered or extra byte or chunk, another key, or a format version this client does not know.
 * Nothing of it was returned: show the attachment as unreadable.
 *
 * @example
 * try { blob = await decryptAttachment(body, descriptor); } catch (e) { if (e instanceof AttachmentIntegrityError) markBroken(); }
 */
export class AttachmentIntegrityError extends E2eeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AttachmentIntegrityError';
  }
}

/**
 * A file larger than an upload slot may hold, refused before any of it was read.
 *
 * @example
 * try { await encryptAttachment(file); } catch (e) { if (e instanceof AttachmentTooLargeError) say('Files up to 100 MB'); }
 */
export class AttachmentTooLargeError extends E2eeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AttachmentTooLargeError';
  }
}

/** The device is not (yet) in the conversation's group: another member's commit must add it first. */
export class NotInGroupError extends E2eeError {
  constructor(message: string) {
    super(message);
    this.name = 'NotInGroupError';
  }
}
