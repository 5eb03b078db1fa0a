/** An HTML form upload: POST `fields` and then the bytes as `file` to `url`. */
export interface UploadForm {
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * Where attachments' encrypted bytes live (S3 on AWS). Clients move the bytes themselves, through
 * short-lived signed forms and links; the server never handles them.
 */
export interface AttachmentObjects {
  /** A form that uploads exactly `size` bytes as this attachment's object, refused after `expiresAt` (epoch ms). */
  uploadForm(attachmentId: string, size: number, expiresAt: number): Promise<UploadForm>;
  /** A link that downloads this attachment's object until `expiresAt` (epoch ms). */
  downloadUrl(attachmentId: string, expiresAt: number): Promise<string>;
  /** Deletes these attachments' objects; missing ones are no error. */
  delete(attachmentIds: readonly string[]): Promise<void>;
}

/**
 * Where profile pictures' encrypted bytes live: the same kind of objects as attachments (in a prefix of
 * their own), and their size, read back to check an upload is complete before it becomes a picture.
 */
export interface AvatarObjects extends AttachmentObjects {
  /** The object's size in bytes, or undefined when there is none (its form was never posted). */
  sizeOf(avatarId: string): Promise<number | undefined>;
}

/**
 * Where the chunks of history transfers live: objects of the same kind (in a prefix of their own), each
 * named `{transferId}/{index}` (`historyChunkId`), and their size, read back to check a chunk was uploaded
 * whole before it is announced.
 */
export type HistoryChunkObjects = AvatarObjects;

/**
 * Where encrypted backup chunks live: objects under their user (in a prefix of their own), uploaded and
 * downloaded by the client through forms and links; their size is read back before a backup lists one.
 */
export interface BackupObjects {
  /** A form that uploads exactly `size` bytes as this chunk's object, refused after `expiresAt` (epoch ms). */
  uploadForm(userId: string, chunkId: string, size: number, expiresAt: number): Promise<UploadForm>;
  /** A link that downloads this chunk's object until `expiresAt` (epoch ms). */
  downloadUrl(userId: string, chunkId: string, expiresAt: number): Promise<string>;
  /** The object's size in bytes, or undefined when there is none (its form was never posted). */
  sizeOf(userId: string, chunkId: string): Promise<number | undefined>;
  /** Deletes these chunks' objects; missing ones are no error. */
  delete(userId: string, chunkIds: readonly string[]): Promise<void>;
}
