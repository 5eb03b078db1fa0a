import { fromBase64, toBase64 } from '../base64';
import { StateStoreError } from '../errors';
import { GroupSession, type PendingCommit } from '../group-session';
import type { ClientContext } from './context';

/** Where one conversation stands on this device, stored beside its MLS state. */
export interface Cursor {
  /** The last log `seq` processed. */
  seq: number;
  /**
   * The server's epoch this device's next commit is for: one more than the last commit processed in the
   * log (refused ones included), so it can run ahead of the MLS epoch.
   */
  slot?: number;
  /** The server epoch this device joined at (0 when it created the group); absent when not in the group. */
  joinedSlot?: number;
  /** The `seq` of the commit that added this device (0 when it created the group), once seen. */
  joinedSeq?: number;
  /**
   * The last `seq` this device had read when it was removed from the group; kept when it joins again, so
   * what was sent in between reads as `not-member`, not `before-join`.
   */
  leftSeq?: number;
  /** When this device last committed its own new leaf keys (epoch ms). */
  updatedAt?: number;
}

export interface Conversation {
  session: GroupSession | undefined;
  cursor: Cursor;
  /** Plaintexts of this device's own messages by message id: MLS cannot decrypt one's own messages. */
  own: Map<string, string>;
  /** When the group last matched the server's members and directory (memory only), and the directory's generation then. */
  checked?: { at: number; generation: number };
  /** The highest seq a push announced (memory only): the log is read until the cursor reaches it. */
  announced?: number;
  /** A commit this device posted whose answer it may not have stored (see `writeAhead`). */
  ahead?: Ahead;
}

/**
 * A commit this device is posting, stored before the post: the epoch it is for, its SHA-256, whether it
 * founds the group, and the group state it leads to. Should the app stop after the server stored the commit
 * and before the device stored that state (a tab closed), the device would hold no state for a commit the
 * other members applied: its own commit it cannot read back, and for a group it founded, a Welcome never
 * comes. Instead it takes the state from here once the log shows that very commit stored.
 */
export interface Ahead {
  readonly slot: number;
  readonly hash: string;
  readonly created: boolean;
  readonly session: GroupSession;
}

/** SHA-256 of a commit, base64: what tells this device's own commit in the log from a rival's. */
async function commitHashOf(commit: Uint8Array): Promise<string> {
  return toBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(commit))));
}

const encodeJson = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decodeJson = <T>(bytes: Uint8Array): T => JSON.parse(new TextDecoder().decode(bytes)) as T;

/**
 * Each conversation's state on this device, loaded once and kept in memory, and the queue that runs the
 * work on one conversation one task at a time. What it stores: `meta/{id}` (the cursor and the plaintexts
 * of the device's own messages), `group/{id}` (the MLS state), and, while a commit is being posted,
 * `ahead/{id}` with `ahead-group/{id}` (see `Ahead`).
 */
export class ConversationStates {
  private readonly conversations = new Map<string, Promise<Conversation>>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly ctx: ClientContext) {}

  /** Runs `task` after every earlier task of the same conversation. */
  serial<T>(conversationId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(conversationId) ?? Promise.resolve();
    const run = previous.then(task, task);
    this.queues.set(
      conversationId,
      run.catch(() => undefined),
    );
    return run;
  }

  get(conversationId: string): Promise<Conversation> {
    let loaded = this.conversations.get(conversationId);
    if (loaded === undefined) {
      loaded = this.load(conversationId);
      this.conversations.set(conversationId, loaded);
      loaded.catch(() => this.conversations.delete(conversationId));
    }
    return loaded;
  }

  private async load(conversationId: string): Promise<Conversation> {
    const { store, self, directory } = this.ctx;
    const [group, meta, ahead, aheadGroup] = await Promise.all([
      store.get(`group/${conversationId}`),
      store.get(`meta/${conversationId}`),
      store.get(`ahead/${conversationId}`),
      store.get(`ahead-group/${conversationId}`),
    ]);
    try {
      const stored =
        meta === undefined ? undefined : decodeJson<{ cursor: Cursor; own: [string, string][] }>(meta);
      const written =
        ahead === undefined || aheadGroup === undefined
          ? undefined
          : decodeJson<{ slot: number; hash: string; created: boolean }>(ahead);
      return {
        session: group === undefined ? undefined : GroupSession.restore(self, directory, group),
        cursor: stored?.cursor ?? { seq: 0 },
        own: new Map(stored?.own ?? []),
        ...(written && aheadGroup
          ? { ahead: { ...written, session: GroupSession.restore(self, directory, aheadGroup) } }
          : {}),
      };
    } catch (error) {
      throw new StateStoreError(`The stored state of ${conversationId} is damaged`, { cause: error });
    }
  }

  async save(conversationId: string, state: Conversation): Promise<void> {
    const { store } = this.ctx;
    await store.put(`meta/${conversationId}`, encodeJson({ cursor: state.cursor, own: [...state.own] }));
    if (state.session === undefined) await store.delete(`group/${conversationId}`);
    else await store.put(`group/${conversationId}`, state.session.encode());
  }

  /** Stores the commit about to be posted and the state it leads to, before the post (see `Ahead`). */
  async writeAhead(
    conversationId: string,
    state: Conversation,
    slot: number,
    pending: PendingCommit,
    created: boolean,
  ): Promise<void> {
    const { store, self, directory } = this.ctx;
    // Not `confirm()`: that wipes the old epoch's secrets, which a commit that loses still needs.
    const next = pending.encodeNext();
    const ahead: Ahead = {
      slot,
      hash: await commitHashOf(pending.commit),
      created,
      session: GroupSession.restore(self, directory, next),
    };
    // The state first, then the note that names it: a note is never there without its state.
    await store.put(`ahead-group/${conversationId}`, next);
    await store.put(`ahead/${conversationId}`, encodeJson({ slot, hash: ahead.hash, created }));
    state.ahead = ahead;
  }

  /** Forgets the commit written ahead: its answer is stored, or it was not the one the log kept. */
  async dropAhead(conversationId: string, state: Conversation): Promise<void> {
    const { store } = this.ctx;
    state.ahead = undefined;
    await store.delete(`ahead/${conversationId}`);
    await store.delete(`ahead-group/${conversationId}`);
  }

  /**
   * Whether the log entry is this device's own commit, written ahead: then its state is the one to go on
   * with (the device could not read its own commit).
   */
  async isOwnAhead(state: Conversation, epoch: number, body: string | undefined): Promise<boolean> {
    const ahead = state.ahead;
    if (ahead === undefined || ahead.slot !== epoch || body === undefined) return false;
    return (await commitHashOf(fromBase64(body))) === ahead.hash;
  }

  /** Leaves the group on this device (its user is no longer a member), keeping where it had read to. */
  async forgetGroup(conversationId: string): Promise<void> {
    const state = await this.get(conversationId);
    // Only a device that was in the group has left it (a push may come for one never added).
    const wasIn = state.session !== undefined || state.cursor.leftSeq !== undefined;
    state.session = undefined;
    state.cursor = { seq: state.cursor.seq, ...(wasIn ? { leftSeq: state.cursor.seq } : {}) };
    await this.save(conversationId, state);
  }
}
