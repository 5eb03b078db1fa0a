import * as z from '../zod';
import { BackupChunkIdSchema, Base64Schema } from './ids';

/**
 * A user's encrypted history backup as the server keeps it: which of their chunks make it, and an opaque
 * header. The server sees chunk ids, sizes and counts, never a key or a byte of history.
 *
 * @example
 * const backup = BackupSchema.parse(await response.json());
 * const header = decodeBackupHeader(backup.header); // shared/e2ee/recovery-key.ts
 */
export const BackupSchema = z.object({
  /** 1 at the first write, one more at every write: `PUT /me/backup` names the version it read. */
  version: z.number(),
  /** Opaque to the server: KDF parameters, salt, the wrapped data key; read before anything else. */
  header: Base64Schema,
  /** The chunk holding the (encrypted) index of the others. */
  indexChunkId: BackupChunkIdSchema,
  /** Every chunk of the backup, the index chunk included. */
  chunkIds: z.array(BackupChunkIdSchema),
  /** Their total size in bytes. */
  bytes: z.number(),
  /** ISO 8601: the last write. */
  updatedAt: z.string(),
});
export type Backup = z.infer<typeof BackupSchema>;

/** Where and how to upload one encrypted backup chunk: an HTML form POST straight to the object store. */
export const BackupChunkSlotSchema = z.object({
  chunkId: BackupChunkIdSchema,
  /** POST a `multipart/form-data` form here: every field of `fields`, then the encrypted bytes as `file`, last. */
  url: z.string(),
  fields: z.record(z.string(), z.string()),
  /** ISO 8601: the form is refused after this. */
  expiresAt: z.string(),
});
export type BackupChunkSlot = z.infer<typeof BackupChunkSlotSchema>;

/** Where to download one backup chunk's encrypted bytes from, for a while. */
export const BackupChunkLinkSchema = z.object({
  chunkId: BackupChunkIdSchema,
  size: z.number(),
  /** GET this URL, with no `Authorization` header, before `expiresAt`. */
  url: z.string(),
  expiresAt: z.string(),
});
export type BackupChunkLink = z.infer<typeof BackupChunkLinkSchema>;
