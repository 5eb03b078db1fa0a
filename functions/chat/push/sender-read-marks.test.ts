import { describe, expect, it } from 'vitest';
import type { ConversationStore } from '../../ports/conversation-store';
import { senderReadMarks } from './sender-read-marks';

/** A store whose writes take a while and are recorded, refusing any that would not move the mark. */
function slowStore() {
  const writes: number[] = [];
  let stored = 0;
  const store: Pick<ConversationStore, 'raiseReadMark'> = {
    raiseReadMark: async (_conversationId, _userId, read) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      writes.push(read);
      if (read <= stored) return false;
      stored = read;
      return true;
    },
  };
  return { store, writes, stored: () => stored };
}

describe('senderReadMarks', () => {
  it('merges a burst of marks, in any order, into few writes that only move forward', async () => {
    const { store, writes, stored } = slowStore();
    const raise = senderReadMarks(store);
    const seqs = [3, 1, 7, 2, 9, 4, 8, 6, 5, 10];

    await Promise.all(seqs.map((seq) => raise('c1', 'alice', seq, seq)));

    expect(stored()).toBe(10);
    expect(writes.length).toBeLessThan(seqs.length);
    expect(writes).toEqual([...writes].sort((a, b) => a - b));
    expect(new Set(writes).size).toBe(writes.length);
  });

  it('writes nothing for a mark at or behind one already written, and keeps members apart', async () => {
    const { store, writes } = slowStore();
    const raise = senderReadMarks(store);
    await raise('c1', 'alice', 5, 5);

    await raise('c1', 'alice', 4, 4);
    await raise('c1', 'alice', 5, 5);
    await raise('c1', 'bob', 2, 2);

    expect(writes).toEqual([5, 2]);
  });

  it('fails every waiting mark when the write fails, so their jobs are retried', async () => {
    const raise = senderReadMarks({
      raiseReadMark: async () => {
        throw new Error('throttled');
      },
    });

    await expect(Promise.all([raise('c1', 'alice', 1, 1), raise('c1', 'alice', 2, 2)])).rejects.toThrow(
      'throttled',
    );
  });
});
