import {
  type ProfileKey,
  ProfileKeySchema,
  parseMessagePayload,
} from '../../../shared/e2ee/attachment-payload';
import type { ChatEvent } from '../../../shared/e2ee/e2ee-client';
import type { StateStore } from '../../../shared/e2ee/state-store';
import * as z from '../../../shared/zod';

/** The profile keys' place in this browser's encrypted store. */
const PROFILE_KEYS = 'profile-keys';
/**
 * Keys kept per user, newest first. More than one: messages of several conversations are read in no
 * global order (a catch-up may bring an older key after a newer one), and the profile says which is current.
 */
const KEYS_PER_USER = 3;

const StoredSchema = z.object({
  /** User id → their keys, newest first. */
  keys: z.record(z.string(), z.array(ProfileKeySchema)),
  /** The key to my own current picture, to send in my messages. */
  mine: z.optional(ProfileKeySchema),
  /** Conversation id → the picture whose key my messages there carried last. */
  announced: z.record(z.string(), z.string()),
});
type Stored = z.infer<typeof StoredSchema>;

/**
 * The keys to who sent them their profile pictures (their key travels inside their messages, as Signal's
 * profile key does), and which conversations my own picture's key reached: kept in this browser's
 * encrypted store, so the server never holds them.
 */
export class ProfileKeys {
  private stored: Stored = { keys: {}, announced: {} };

  constructor(private readonly vault: StateStore) {}

  /** Reads what an earlier visit kept; anything unreadable is started afresh. */
  async load(): Promise<void> {
    const bytes = await this.vault.get(PROFILE_KEYS);
    if (!bytes) return;
    try {
      const parsed = StoredSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
      if (parsed.success) this.stored = parsed.data;
    } catch {
      // A broken record costs only pictures until their owners write again.
    }
  }

  private async save(): Promise<void> {
    await this.vault.put(PROFILE_KEYS, new TextEncoder().encode(JSON.stringify(this.stored)));
  }

  /**
   * Keeps the keys these events carry, by sender, and returns the users who sent a key new to this
   * browser. A message from another of my devices may carry my own current picture's key: it is then
   * the one my messages from here carry too.
   */
  async heard(events: readonly ChatEvent[], me: { userId: string; avatarId?: string }): Promise<string[]> {
    const changed = new Set<string>();
    for (const event of events) {
      if (event.kind !== 'message' || event.own) continue;
      const key = parseMessagePayload(event.plaintext)?.profile;
      if (!key) continue;
      const known = this.stored.keys[event.senderId] ?? [];
      if (known[0] && sameKey(known[0], key)) continue;
      this.stored.keys[event.senderId] = [key, ...known.filter((k) => k.avatarId !== key.avatarId)].slice(
        0,
        KEYS_PER_USER,
      );
      if (event.senderId === me.userId && key.avatarId === me.avatarId) this.stored.mine = key;
      changed.add(event.senderId);
    }
    if (changed.size > 0) await this.save();
    return [...changed];
  }

  /** The key to this user's picture `avatarId`, when one of their messages brought it here. */
  keyFor(userId: string, avatarId: string): ProfileKey | undefined {
    return this.stored.keys[userId]?.find((key) => key.avatarId === avatarId);
  }

  /**
   * My new picture's key: kept as my own (this browser shows my picture without a message), and sent
   * again in every conversation, with the next message there.
   */
  async setMine(userId: string, key: ProfileKey | undefined): Promise<void> {
    if (key) {
      this.stored.mine = key;
      this.stored.keys[userId] = [key, ...(this.stored.keys[userId] ?? [])].slice(0, KEYS_PER_USER);
    } else {
      delete this.stored.mine;
    }
    this.stored.announced = {};
    await this.save();
  }

  /**
   * The key my next message in this conversation carries: my current picture's (`avatarId`, as my profile
   * names it now), unless it went there already. None once the picture was removed, here or elsewhere.
   */
  announcement(conversationId: string, avatarId: string | undefined): ProfileKey | undefined {
    const { mine } = this.stored;
    if (!mine || avatarId === undefined || mine.avatarId !== avatarId) return undefined;
    return this.stored.announced[conversationId] !== mine.avatarId ? mine : undefined;
  }

  /** A message carrying my picture's key `avatarId` was sent in this conversation. */
  async announced(conversationId: string, avatarId: string): Promise<void> {
    if (this.stored.announced[conversationId] === avatarId) return;
    this.stored.announced[conversationId] = avatarId;
    await this.save();
  }
}

function sameKey(a: ProfileKey, b: ProfileKey): boolean {
  return a.avatarId === b.avatarId && a.key === b.key && a.sha256 === b.sha256;
}
