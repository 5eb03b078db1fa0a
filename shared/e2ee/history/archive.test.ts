import { describe, expect, it } from 'vitest';
import {
  ArchiveFormatError,
  type ArchivePart,
  archiveChunks,
  decodeArchiveChunk,
  encodeArchiveChunk,
  type HistorySource,
} from './archive';
import type { KeptMessage } from './kept-message';

const message = (seq: number, text = `message ${seq}`): KeptMessage => ({
  seq,
  messageId: `m${seq}`,
  senderId: 'alice',
  sentAt: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
  text,
  reactions: {},
});

/** Conversations held in memory, each a list of messages in seq order (gaps where edits were). */
function sourceOf(conversations: Record<string, KeptMessage[]>): HistorySource & { reads: number } {
  const source = {
    reads: 0,
    conversationIds: async () => Object.keys(conversations),
    page: async (conversationId: string, before: number | undefined, limit: number) => {
      source.reads += 1;
      const below = (conversations[conversationId] ?? []).filter(
        (m) => before === undefined || m.seq < before,
      );
      return { messages: below.slice(Math.max(0, below.length - limit)), more: below.length > limit };
    },
  };
  return source;
}

const range = (from: number, to: number, step = 1) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => message(from + i * step));

async function all(source: HistorySource, options = {}) {
  const chunks = [];
  for await (const chunk of archiveChunks(source, undefined, options)) chunks.push(chunk);
  return chunks;
}

const messagesOf = (parts: readonly ArchivePart[]) =>
  parts.flatMap((p) => p.messages.map((m) => `${p.conversationId}:${m.seq}`));

describe('the history archive', () => {
  it('carries first the newest messages of every conversation, newest conversation first, then the rest', async () => {
    const source = sourceOf({ recent: range(1, 120), older: range(1, 80) });
    const chunks = await all(source, { firstScreen: 50 });
    const first = chunks[0]?.parts ?? [];
    expect(first.map((p) => p.conversationId)).toEqual(['recent', 'older']);
    expect(first[0]?.messages.map((m) => m.seq)).toEqual(range(71, 120).map((m) => m.seq));
    expect(first[1]?.messages.map((m) => m.seq)).toEqual(range(31, 80).map((m) => m.seq));
    const everything = chunks.flatMap((c) => messagesOf(c.parts));
    expect(everything).toHaveLength(200);
    expect(new Set(everything).size).toBe(200);
    // The rest comes newest first within each conversation.
    const rest = chunks.slice(1).flatMap((c) => c.parts);
    expect(rest.map((p) => [p.conversationId, p.from, p.to])).toEqual([
      ['recent', 1, 70],
      ['older', 1, 30],
    ]);
  });

  it('says which seqs each part covers, gaps included, so the receiver can drop lines it has no message for', async () => {
    // Seqs 2, 4, 6… were edits and reactions: the sender shows them in place, not as messages.
    const chunks = await all(sourceOf({ c: range(1, 199, 2) }), { firstScreen: 10 });
    const parts = chunks.flatMap((c) => c.parts);
    expect(parts[0]).toMatchObject({ from: 181, to: 199 });
    expect(parts[1]).toMatchObject({ from: 1, to: 180 });
  });

  it('makes the newest part speak for every seq the device read, past its newest message', async () => {
    // The sender read up to 205: an edit and two reactions after its newest message, 199.
    const source = { ...sourceOf({ c: range(1, 199, 2) }), readUpTo: async () => 205 };
    const [first] = (await all(source, { firstScreen: 10 })).flatMap((c) => c.parts);
    expect(first).toMatchObject({ from: 181, to: 205 });
  });

  it('fills chunks to their target, the first smaller, and resumes from any chunk’s cursor without a gap', async () => {
    const source = sourceOf({ a: range(1, 400), b: range(1, 300), c: range(1, 50) });
    const options = { firstScreen: 50, firstChunkTarget: 2_000, chunkTarget: 8_000 };
    const chunks = await all(source, options);
    expect(chunks.length).toBeGreaterThan(5);
    const sizes = chunks.map((c) => JSON.stringify(c.parts).length);
    expect(sizes[0]).toBeLessThan(sizes[2] ?? 0);
    const whole = chunks.flatMap((c) => messagesOf(c.parts));
    expect(new Set(whole).size).toBe(750);
    for (const at of [1, 3, chunks.length - 2]) {
      const resumed = [];
      for await (const chunk of archiveChunks(source, chunks[at - 1]?.next, options)) resumed.push(chunk);
      const rest = chunks.slice(at).flatMap((c) => messagesOf(c.parts));
      expect(new Set(resumed.flatMap((c) => messagesOf(c.parts)))).toEqual(new Set(rest));
    }
  });

  it('round-trips a chunk through its deflated form, and refuses what is not one', async () => {
    const parts: ArchivePart[] = [
      {
        conversationId: 'c',
        from: 1,
        to: 3,
        messages: [message(1, 'héllo 👋'), { ...message(3), edited: true, reactions: { '👍': ['bob'] } }],
      },
    ];
    const encoded = await encodeArchiveChunk(parts);
    expect(await decodeArchiveChunk(encoded)).toEqual(parts);
    await expect(decodeArchiveChunk(new TextEncoder().encode('{"format":1}'))).rejects.toThrow(
      ArchiveFormatError,
    );
    const outOfRange = [{ ...parts[0], from: 2 } as ArchivePart];
    await expect(decodeArchiveChunk(await encodeArchiveChunk(outOfRange))).rejects.toThrow(
      ArchiveFormatError,
    );
  });

  it('compresses text: 1,000 typical messages go in about a quarter of their JSON', async () => {
    const parts: ArchivePart[] = [
      {
        conversationId: 'c',
        from: 1,
        to: 1000,
        messages: range(1, 1000).map((m) => ({
          ...m,
          text: `See you at ${m.seq % 12} by the station, bring the umbrella`,
        })),
      },
    ];
    const encoded = await encodeArchiveChunk(parts);
    expect(encoded.length).toBeLessThan(JSON.stringify(parts).length / 4);
  });
});
