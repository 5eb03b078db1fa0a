import type { ConversationStore } from '../../ports/conversation-store';

/** Members whose marks one execution environment remembers, at most. */
const MAX_REMEMBERED_MARKS = 10_000;

interface MarkState {
  /** The furthest mark asked for. */
  wanted?: { readonly read: number; readonly readContentCount: number };
  /** The furthest mark this environment wrote (or found written). */
  written: number;
  running?: Promise<void>;
}

/**
 * Moves senders' read marks for the fan-out ("sending implies reading what came before"), one write at a
 * time per member and only forward. The jobs of a burst reach the sender in any order and at once; a
 * write per job would race itself (a later mark lands first, and each earlier one is a refused, billed
 * conditional write). Here a member's marks queue behind the write in flight and are merged into one
 * write of the furthest; a mark at or behind what was written costs nothing. Another environment can
 * still write further meanwhile: then one write is refused, and its mark is known to be passed.
 *
 * State is per execution environment, in memory, for at most {@link MAX_REMEMBERED_MARKS} members.
 */
export function senderReadMarks(conversations: Pick<ConversationStore, 'raiseReadMark'>) {
  const byMember = new Map<string, MarkState>();

  function stateOf(key: string): MarkState {
    let state = byMember.get(key);
    if (!state) {
      state = { written: 0 };
      byMember.set(key, state);
      for (const oldest of byMember.keys()) {
        if (byMember.size <= MAX_REMEMBERED_MARKS) break;
        if (byMember.get(oldest)?.running === undefined) byMember.delete(oldest);
      }
    }
    return state;
  }

  async function writeWanted(conversationId: string, userId: string, state: MarkState) {
    while (state.wanted && state.wanted.read > state.written) {
      const { read, readContentCount } = state.wanted;
      await conversations.raiseReadMark(conversationId, userId, read, readContentCount);
      // Moved, or refused because it was as far already: either way the mark is at least here.
      state.written = Math.max(state.written, read);
    }
  }

  const raise = (
    conversationId: string,
    userId: string,
    read: number,
    readContentCount: number,
  ): Promise<void> => {
    const state = stateOf(`${conversationId}\u0000${userId}`);
    if (read <= state.written) return Promise.resolve();
    if (!state.wanted || read > state.wanted.read) state.wanted = { read, readContentCount };
    // Behind the write in flight, then again: it may have finished just before this mark came.
    if (state.running) return state.running.then(() => raise(conversationId, userId, read, readContentCount));
    state.running = writeWanted(conversationId, userId, state).finally(() => {
      state.running = undefined;
    });
    return state.running;
  };
  return raise;
}
