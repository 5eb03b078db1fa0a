import type { ApiClient } from '../../../shared/client/api-client';
import { decryptAttachment, encryptAttachment } from '../../../shared/e2ee/attachment-cipher';
import type { ProfileKey } from '../../../shared/e2ee/attachment-payload';
import type { ChatEvent } from '../../../shared/e2ee/e2ee-client';
import type { StateStore } from '../../../shared/e2ee/state-store';
import { MAX_AVATAR_SIZE_IN_BYTES } from '../../../shared/protocol/limits';
import type { Me } from '../../../shared/protocol/resources';
import { postUploadForm, sizeInWords } from './attachments';
import { ProfileKeys } from './profile-keys';
import type { ModelStore } from './store';

/** The largest file a person may pick as a picture: it is scaled down here, never sent as it is. */
export const MAX_PICTURE_FILE_SIZE_IN_BYTES = 20 * 1000 * 1000;
/** A picture is a square this many pixels on a side: sharp in a 4rem circle on a dense screen. */
export const PICTURE_SIDE_IN_PIXELS = 256;
/** What a scaled picture should stay under; the server's cap is {@link MAX_AVATAR_SIZE_IN_BYTES}. */
const PICTURE_TARGET_SIZE_IN_BYTES = 40 * 1000;
/** Encodings tried in turn until one fits the target: WebP keeps transparency, JPEG is everywhere. */
const ENCODINGS: ReadonlyArray<readonly [type: string, quality: number]> = [
  ['image/webp', 0.85],
  ['image/webp', 0.7],
  ['image/jpeg', 0.8],
  ['image/jpeg', 0.6],
  ['image/jpeg', 0.4],
];

/** A file picked as a picture that is not one, or is too large to read: said in words. */
export class PictureRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PictureRefusedError';
  }
}

/**
 * A picked image as a profile picture: the centre square, scaled to {@link PICTURE_SIDE_IN_PIXELS} on a
 * canvas and encoded small. Refuses what is not an image, or is over {@link MAX_PICTURE_FILE_SIZE_IN_BYTES}.
 */
export async function squarePictureOf(file: Blob): Promise<Blob> {
  const notAPicture = new PictureRefusedError('Choose a picture: a JPEG, PNG, WebP or GIF image.');
  if (!file.type.startsWith('image/')) throw notAPicture;
  if (file.size > MAX_PICTURE_FILE_SIZE_IN_BYTES) {
    throw new PictureRefusedError(
      `This picture is ${sizeInWords(file.size)}: pictures up to ${sizeInWords(MAX_PICTURE_FILE_SIZE_IN_BYTES)} can be used.`,
    );
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw notAPicture;
  }
  const side = Math.min(bitmap.width, bitmap.height);
  const canvas = document.createElement('canvas');
  canvas.width = PICTURE_SIDE_IN_PIXELS;
  canvas.height = PICTURE_SIDE_IN_PIXELS;
  const context = canvas.getContext('2d');
  if (!context) throw notAPicture;
  context.imageSmoothingQuality = 'high';
  context.drawImage(
    bitmap,
    (bitmap.width - side) / 2,
    (bitmap.height - side) / 2,
    side,
    side,
    0,
    0,
    PICTURE_SIDE_IN_PIXELS,
    PICTURE_SIDE_IN_PIXELS,
  );
  bitmap.close();
  let smallest: Blob | undefined;
  for (const [type, quality] of ENCODINGS) {
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, type, quality));
    // A browser that cannot write WebP writes PNG instead: kept only if small enough.
    if (!blob) continue;
    if (blob.size <= PICTURE_TARGET_SIZE_IN_BYTES) return blob;
    if (!smallest || blob.size < smallest.size) smallest = blob;
  }
  // The cipher adds 29 bytes to a picture this small.
  if (smallest && smallest.size + 1024 <= MAX_AVATAR_SIZE_IN_BYTES) return smallest;
  throw new PictureRefusedError('This picture could not be made small enough. Try another.');
}

/**
 * Profile pictures, end to end encrypted: mine, sealed here and uploaded, its key sent inside my messages
 * (see `ProfileKeys`); others', downloaded and opened here when their profile names a picture whose key
 * one of their messages brought. Each shows as an object URL in `state.pictures`, by user id; anyone
 * else shows initials.
 */
export class Pictures {
  private readonly keys: ProfileKeys;
  /** User id → the picture shown for them, or on its way. */
  private readonly shown = new Map<string, string>();
  /** Pictures that could not be downloaded or opened in this tab: not asked for again. */
  private readonly failed = new Set<string>();

  constructor(
    private readonly store: ModelStore,
    vault: StateStore,
    private readonly api: Pick<ApiClient, 'createAvatarUpload' | 'setAvatar' | 'clearAvatar' | 'getAvatar'>,
  ) {
    this.keys = new ProfileKeys(vault);
  }

  /** Reads the keys kept here, shows the pictures they open, and follows profiles as they change. */
  async load(): Promise<void> {
    await this.keys.load();
    this.store.subscribe(() => this.refresh());
    this.refresh();
  }

  /** Keeps the picture keys these events carry, and shows the pictures they open. */
  async heard(events: readonly ChatEvent[]): Promise<void> {
    const senders = await this.keys.heard(events, this.store.state.me);
    if (senders.length > 0) this.refresh();
  }

  /** The key my next message in this conversation carries, if any (see `ProfileKeys.announcement`). */
  announcement(conversationId: string): ProfileKey | undefined {
    return this.keys.announcement(conversationId, this.store.state.me.avatarId);
  }

  announced(conversationId: string, avatarId: string): Promise<void> {
    return this.keys.announced(conversationId, avatarId);
  }

  /**
   * Makes a picked image my picture: scaled and encrypted here under a fresh key, uploaded as ciphertext,
   * then named in my profile. Shown here at once; others see it once a message of mine brings the key.
   */
  async set(file: Blob): Promise<Me> {
    const picture = await squarePictureOf(file);
    const sealed = await encryptAttachment(picture);
    const slot = await this.api.createAvatarUpload({ body: { size: sealed.size } });
    await postUploadForm(slot, sealed.ciphertext);
    const me = await this.api.setAvatar({ body: { avatarId: slot.avatarId } });
    await this.keys.setMine(me.userId, { avatarId: slot.avatarId, key: sealed.key, sha256: sealed.sha256 });
    this.shown.set(me.userId, slot.avatarId);
    this.show(me.userId, URL.createObjectURL(picture));
    return me;
  }

  /** Removes my picture: initials for everyone. */
  async remove(): Promise<void> {
    await this.api.clearAvatar();
    await this.keys.setMine(this.store.myId, undefined);
  }

  /** Brings the pictures shown in line with the profiles known: new ones fetched, removed ones dropped. */
  private refresh(): void {
    const { state } = this.store;
    const profiles = [state.me, ...Object.values(state.users)];
    let dropped = false;
    for (const { userId, avatarId } of profiles) {
      if (this.shown.get(userId) === avatarId) continue;
      const key = avatarId === undefined ? undefined : this.keys.keyFor(userId, avatarId);
      if (avatarId === undefined || key === undefined || this.failed.has(avatarId)) {
        // No picture, or one this browser has no key to: initials.
        if (this.shown.delete(userId) && this.drop(userId)) dropped = true;
        continue;
      }
      this.shown.set(userId, avatarId);
      void this.fetch(userId, key);
    }
    if (dropped) this.store.changed();
  }

  /** Downloads a picture's ciphertext, checks its digest, opens it and shows it, unless it changed meanwhile. */
  private async fetch(userId: string, key: ProfileKey): Promise<void> {
    try {
      const link = await this.api.getAvatar({ params: { userId } });
      if (link.avatarId !== key.avatarId) throw new Error('The picture changed meanwhile');
      const response = await fetch(link.url);
      if (!response.ok) throw new Error(`The download failed (${response.status})`);
      const ciphertext = await response.blob();
      if (ciphertext.size > MAX_AVATAR_SIZE_IN_BYTES)
        throw new Error('The picture is larger than any can be');
      const picture = await decryptAttachment(ciphertext, { ...key, size: ciphertext.size });
      if (this.shown.get(userId) !== key.avatarId) return;
      this.show(userId, URL.createObjectURL(picture));
      this.store.changed();
    } catch (error) {
      this.failed.add(key.avatarId);
      if (this.shown.get(userId) === key.avatarId) this.shown.delete(userId);
      console.warn('A profile picture could not be shown', { userId, error });
    }
  }

  private show(userId: string, url: string): void {
    this.drop(userId);
    this.store.state.pictures = { ...this.store.state.pictures, [userId]: url };
  }

  /** Forgets the picture shown for a user; true when there was one. */
  private drop(userId: string): boolean {
    const url = this.store.state.pictures[userId];
    if (url === undefined) return false;
    URL.revokeObjectURL(url);
    const { [userId]: _gone, ...rest } = this.store.state.pictures;
    this.store.state.pictures = rest;
    return true;
  }
}
