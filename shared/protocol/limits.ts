/**
 * Limits of the wire protocol, shared by the server and every client.
 *
 * API Gateway caps a WebSocket frame at 32 KB and a message at 128 KB. A
 * message body must leave room for its envelope inside one 32 KB push frame,
 * so the opaque ciphertext is capped well below that.
 *
 * @example
 * if (ciphertext.byteLength > MAX_BODY_SIZE_IN_BYTES) splitOrUpload(ciphertext);
 */
export const MAX_BODY_SIZE_IN_BYTES = 16 * 1024;

/** API Gateway's WebSocket frame limit. */
export const MAX_FRAME_SIZE_IN_BYTES = 32 * 1024;

/** API Gateway's WebSocket message limit (a message may span several frames). */
export const MAX_MESSAGE_SIZE_IN_BYTES = 128 * 1024;

/**
 * A username search needs this many characters and answers at most {@link MAX_USER_SEARCH_RESULTS}, with
 * no further pages: a longer prefix narrows it. With the `search` allowance this keeps anyone from
 * walking the directory (there are 50,653 three-character prefixes of `a-z0-9_.`).
 */
export const MIN_USER_SEARCH_PREFIX_LENGTH = 3;
/** Most users one username search answers. */
export const MAX_USER_SEARCH_RESULTS = 10;

/** Longest client-chosen id (message ids, request ids). */
export const MAX_CLIENT_ID_LENGTH = 64;

/** The largest file a person may attach, as the web client says it in words ("100 MB"). */
export const MAX_ATTACHMENT_FILE_SIZE_IN_BYTES = 100 * 1000 * 1000;

/**
 * The largest attachment object, in ciphertext bytes: the largest file, and room for its
 * encryption's overhead (a 16-byte tag per chunk, a header); an upload slot is refused above it.
 */
export const MAX_ATTACHMENT_SIZE_IN_BYTES = MAX_ATTACHMENT_FILE_SIZE_IN_BYTES + 1024 * 1024;

/** Attachments one message may carry (a picker's several files each go as a message of their own). */
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;

/** How long an upload slot may be used: the presigned POST expires after this. */
export const ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS = 60 * 60;

/** How long a download link works: long enough to fetch 100 MB on a slow line, short enough to be useless when shared. */
export const ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS = 15 * 60;

/** An uploaded attachment no message references this long after its slot was issued is deleted. */
export const UNREFERENCED_ATTACHMENT_LIFETIME_IN_MS = 24 * 60 * 60 * 1000;

/**
 * Largest encrypted profile picture: a 256×256 JPEG or WebP is 10 to 40 KB, sealed with the attachment
 * cipher (29 bytes more). An avatar upload slot is refused above it.
 */
export const MAX_AVATAR_SIZE_IN_BYTES = 64 * 1024;

/** API Gateway closes a WebSocket connection idle this long. */
export const IDLE_TIMEOUT_IN_SECONDS = 10 * 60;

/** API Gateway closes every WebSocket connection after this long. */
export const MAX_CONNECTION_DURATION_IN_SECONDS = 2 * 60 * 60;

/**
 * In a conversation of more than 16 members, a new connection is pushed every message from at most this
 * long after it opens: the fan-out keeps members' connections this long rather than read them for every
 * message. A client reads what it missed when its socket opens and once more this long after.
 */
export const NEW_CONNECTION_PUSHED_WITHIN_IN_MS = 2_000;

/**
 * Sub-protocol a browser offers beside its access token
 * (`new WebSocket(url, ['parley', token])`); the server echoes it.
 */
export const WEBSOCKET_SUBPROTOCOL = 'parley';

/** An Ed25519 public key, the only signature scheme a device registers with. */
export const SIGNATURE_PUBLIC_KEY_SIZE_IN_BYTES = 32;

/**
 * Largest MLS key package a device may upload. One with a basic credential
 * and the default extensions is well under 1 KiB; the headroom is for future
 * extensions, while 100 of them still fit one request.
 */
export const MAX_KEY_PACKAGE_SIZE_IN_BYTES = 8 * 1024;

/** Most key packages one upload may carry. */
export const MAX_KEY_PACKAGES_PER_UPLOAD = 100;

/** Most users one claim may name (a group being created or grown at once). */
export const MAX_CLAIM_USERS = 50;

/**
 * Largest MLS commit, and largest Welcome, one request may carry. Both grow
 * with the group (a Welcome holds the ratchet tree): 1 MiB is thousands of
 * devices. With both in base64 a request stays well under API Gateway's 10 MB
 * and Lambda's 6 MB payload limits.
 */
export const MAX_COMMIT_SIZE_IN_BYTES = 1024 * 1024;
export const MAX_WELCOME_SIZE_IN_BYTES = 1024 * 1024;

/**
 * Commit and Welcome bytes up to this size are kept in their DynamoDB item;
 * larger ones go to S3 behind a pointer, so items stay far below DynamoDB's
 * 400 KB (and a write bills few units). Readers get the bytes inline either way.
 */
export const MAX_INLINE_BYTES_SIZE_IN_BYTES = 16 * 1024;

/**
 * A page of history or of Welcomes stops before its bodies (as base64) pass
 * this many bytes, with a `next` cursor to the rest; it always holds at least
 * one item. Keeps every response under Lambda's 6 MB payload limit.
 */
export const MAX_PAGE_BODIES_SIZE_IN_BYTES = 4 * 1024 * 1024;

/** Most devices one Welcome may be addressed to. */
export const MAX_WELCOME_RECIPIENTS = 100;

/**
 * Sign-in passwords: the user pool's policy, deployed and local alike, and what the web client checks
 * before sign-up so a weak password gets a clear answer at once.
 */
export const PASSWORD_POLICY = {
  minLength: 12,
  requireLowercase: true,
  requireUppercase: true,
  requireDigits: true,
  requireSymbols: true,
} as const;

/** Conversations a user may pin at once, as WhatsApp allows: pinning one more is `LIMIT_REACHED`. */
export const MAX_PINNED_CONVERSATIONS = 5;

/**
 * The `mutedUntil` of a conversation muted for good ("Always"): the last instant ISO 8601 can write
 * with a four-digit year, so every client compares it like any other time.
 */
export const MUTED_FOREVER = '9999-12-31T23:59:59.999Z';

/**
 * The longest Web Push endpoint URL a device may store. The push services in use (FCM, Mozilla autopush,
 * Apple) issue endpoints of a few hundred characters; the bound keeps the device item small.
 */
export const MAX_PUSH_ENDPOINT_LENGTH = 1024;

/** A push subscription's `p256dh` key: an uncompressed P-256 point, `0x04` then x and y (RFC 8291 §3.1). */
export const PUSH_P256DH_SIZE_IN_BYTES = 65;

/** A push subscription's `auth` secret (RFC 8291 §3.2). */
export const PUSH_AUTH_SIZE_IN_BYTES = 16;

/**
 * What one page of `GET /me/export` holds at most of each list. Nothing caps a user's friends, and a user may
 * be in 500 groups of 256 members: all of it in one answer could pass Lambda's 6 MB response limit and one
 * request's fair share of reads. A page is then at most 5,120 members, 1.7 MB of JSON with every name at its
 * longest in three-byte characters (measured); most users' whole export fits in one page.
 */
export const EXPORT_FRIENDS_PER_PAGE = 100;
/** @see EXPORT_FRIENDS_PER_PAGE */
export const EXPORT_BLOCKS_PER_PAGE = 100;
/** @see EXPORT_FRIENDS_PER_PAGE */
export const EXPORT_CONVERSATIONS_PER_PAGE = 20;

/**
 * A history transfer (one device of a user sending its decrypted history to another, sealed end to end)
 * lives this long from its request: long enough to send a large history over a slow line, short enough
 * that a forgotten one does not hold a slot or its chunks for long.
 */
export const HISTORY_TRANSFER_LIFETIME_IN_MS = 24 * 60 * 60 * 1000;

/** Longest opaque field of a history transfer (its request, offer, approval and each chunk's descriptor), in base64 characters. */
export const MAX_HISTORY_TRANSFER_FIELD_LENGTH = 1024;

/**
 * Largest history chunk object, in ciphertext bytes: 1 MiB of plaintext and room for its encryption's
 * overhead. A chunk upload form is refused above it.
 */
export const MAX_HISTORY_CHUNK_SIZE_IN_BYTES = 1024 * 1024 + 64 * 1024;

/** Most bytes one history transfer may carry, all its chunks together. */
export const MAX_HISTORY_TRANSFER_SIZE_IN_BYTES = 1024 * 1024 * 1024;

/**
 * Most chunks one history transfer may carry: 1 GiB in chunks of 512 KiB on average. Bounds the objects a
 * cancellation deletes and the items a transfer leaves behind.
 */
export const MAX_HISTORY_CHUNKS_PER_TRANSFER = 2048;

/** Most transfers `GET /history-transfers` lists: the open ones and the newest finished ones of the last day. */
export const MAX_LISTED_HISTORY_TRANSFERS = 20;
// Encrypted history backup (`/me/backup`): opaque chunks under a recovery key the server never sees.

/**
 * The largest backup chunk, in ciphertext bytes: 1 MiB of archive and room for its encryption's overhead.
 * A chunk upload slot is refused above it.
 */
export const MAX_BACKUP_CHUNK_SIZE_IN_BYTES = 1024 * 1024 + 64 * 1024;

/**
 * The most a backup may hold, listed and pending chunks together (1 GiB): years of a heavy user's text.
 * The default of the `backupBytesPerUser` cap, which a stage may lower.
 */
export const MAX_BACKUP_SIZE_IN_BYTES = 1024 * 1024 * 1024;

/** The most chunks one backup lists, its index chunk included: 1 GiB in chunks of about half a MiB. */
export const MAX_BACKUP_CHUNKS = 2000;

/**
 * The most chunks a user may have reserved and not yet listed in their backup: a client writes the backup
 * again at least every this many chunks. The default of the `pendingBackupChunksPerUser` cap.
 */
export const MAX_PENDING_BACKUP_CHUNKS = 500;

/** The longest backup header, in base64 characters: KDF parameters, salt and the wrapped data key. */
export const MAX_BACKUP_HEADER_LENGTH = 2048;

/** A reserved backup chunk no backup lists this long after its slot was issued is deleted. */
export const UNLISTED_BACKUP_CHUNK_LIFETIME_IN_MS = 24 * 60 * 60 * 1000;
