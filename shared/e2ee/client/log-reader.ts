import { epochOfCommitMessageId } from '../../protocol/ids';
import { type MessageEnvelope, parseConversationEvent } from '../../protocol/resources';
import { fromBase64 } from '../base64';
import { E2eeError, GroupStateError } from '../errors';
import type { GroupSession } from '../group-session';
import type { ChatEvent } from './chat-event';
import { type ClientContext, COMMIT_KIND, type SendableMessageKind } from './context';
import type { Conversation, ConversationStates } from './conversation-state';
import type { Welcomes } from './welcomes';

/**
 * Waits before reading the log again when it stopped short of a seq a push announced: the seq before it
 * is still being written (milliseconds), or its writer died and the server fills it after its deadline.
 */
const CATCH_UP_DELAYS_IN_MS = [100, 250, 500, 1000, 2000, 4000, 8000, 15_000, 30_000];

/**
 * Reads a conversation's log from where this device stopped and turns each entry into a {@link ChatEvent}:
 * applying commits (or refusing them), decrypting messages, and storing the state once the app has what
 * it read.
 */
export class LogReader {
  /** Conversations waiting to read the log again, with how many times they have waited. */
  private readonly catchingUp = new Map<string, { timer: ReturnType<typeof setTimeout>; attempt: number }>();

  constructor(
    private readonly ctx: ClientContext,
    private readonly states: ConversationStates,
    private readonly welcomes: Welcomes,
  ) {}

  /** {@link syncNow} after every earlier task of the conversation. */
  sync(conversationId: string): Promise<ChatEvent[]> {
    return this.states.serial(conversationId, () => this.syncNow(conversationId));
  }

  /** Reads the log, joining from a Welcome first when not in the group; for a task already serialized. */
  async syncNow(conversationId: string): Promise<ChatEvent[]> {
    const state = await this.states.get(conversationId);
    if (
      state.session === undefined &&
      !(await this.welcomes.resumeFounding(conversationId, state)) &&
      !(await this.welcomes.joinFromWelcome(conversationId, state))
    ) {
      return [];
    }
    const events: ChatEvent[] = [];
    let after = state.cursor.seq;
    for (;;) {
      const page = await this.ctx.api.listMessages({
        params: { conversationId },
        query: { after, limit: 100 },
      });
      events.push(...(await this.process(conversationId, state, page.items)));
      const last = page.items.at(-1);
      if (page.next === undefined || last === undefined) break;
      after = last.seq;
      // A removal stops reading: what follows needs a new Welcome.
      if (state.session === undefined) break;
    }
    this.catchUpLater(conversationId, state);
    return events;
  }

  /**
   * A page stops before a seq that is taken but not placed yet. When a push announced more than the log
   * gave, reads it again after a growing wait, until the cursor gets there.
   */
  private catchUpLater(conversationId: string, state: Conversation) {
    const waiting = this.catchingUp.get(conversationId);
    if (waiting) clearTimeout(waiting.timer);
    if (state.session === undefined || (state.announced ?? 0) <= state.cursor.seq) {
      this.catchingUp.delete(conversationId);
      return;
    }
    const attempt = waiting?.attempt ?? 0;
    const delay = CATCH_UP_DELAYS_IN_MS[Math.min(attempt, CATCH_UP_DELAYS_IN_MS.length - 1)] as number;
    const timer = setTimeout(() => {
      void this.sync(conversationId).catch(() => undefined);
    }, delay);
    // A waiting read must not keep a process alive (a test, a command-line client).
    (timer as { unref?: () => void }).unref?.();
    this.catchingUp.set(conversationId, { timer, attempt: attempt + 1 });
  }

  /** Processes log entries in order from the cursor on, then stores the state once. */
  async process(
    conversationId: string,
    state: Conversation,
    items: readonly MessageEnvelope[],
  ): Promise<ChatEvent[]> {
    const events: ChatEvent[] = [];
    const ahead = state.ahead;
    for (const item of items) {
      if (item.seq <= state.cursor.seq) continue;
      if (state.session === undefined) break;
      const event = await this.processOne(state, item);
      if (event !== undefined) events.push(event);
      state.cursor.seq = item.seq;
    }
    // The app keeps what it shows first: MLS keys are gone once the state is stored past them.
    if (events.length > 0) await this.ctx.onEvents(events);
    await this.states.save(conversationId, state);
    // Its own commit found in the log, with its state stored now: the note written ahead is done with.
    if (ahead !== undefined && state.ahead === undefined) await this.states.dropAhead(conversationId, state);
    return events;
  }

  private async processOne(state: Conversation, item: MessageEnvelope): Promise<ChatEvent | undefined> {
    const session = state.session;
    if (session === undefined) return undefined;
    const { conversationId, seq, messageId, senderId } = item;
    // A seq whose send never finished: nothing to read.
    if (item.kind === 'skipped') return undefined;
    if (item.kind === 'event') {
      // The server's own line: plain JSON, readable whenever this device joined. One it cannot read is left out.
      const event = item.body === undefined ? undefined : parseConversationEvent(fromBase64(item.body));
      if (event === undefined) return undefined;
      return { kind: 'group-event', conversationId, seq, messageId, senderId, sentAt: item.sentAt, event };
    }
    if (item.kind === COMMIT_KIND) return this.processCommit(state, session, item);
    if (item.body === undefined) return { kind: 'deleted', conversationId, seq };
    const base = {
      conversationId,
      seq,
      messageId,
      senderId,
      sentAt: item.sentAt,
      messageKind: item.kind as SendableMessageKind,
      ...(item.refSeq === undefined ? {} : { refSeq: item.refSeq }),
    };
    const own = state.own.get(messageId);
    if (own !== undefined && senderId === this.ctx.self.userId) {
      return { kind: 'message', ...base, senderDeviceId: undefined, plaintext: fromBase64(own), own: true };
    }
    if (state.cursor.joinedSeq === undefined || seq < state.cursor.joinedSeq) {
      // Only entries after the cursor are read: after leaving, these were all sent while out of the group.
      const reason = state.cursor.leftSeq === undefined ? 'before-join' : 'not-member';
      return { kind: 'undecryptable', conversationId, seq, messageId, senderId, reason };
    }
    try {
      const { session: next, event } = await session.decrypt(fromBase64(item.body));
      if (event.kind !== 'message' || event.senderUserId !== senderId) {
        // A commit posted as a message, or a device of one user speaking as another: refuse it.
        return { kind: 'undecryptable', conversationId, seq, messageId, senderId, reason: 'rejected' };
      }
      state.session = next;
      return {
        kind: 'message',
        ...base,
        senderDeviceId: event.senderDeviceId,
        plaintext: event.plaintext,
        own: false,
      };
    } catch (error) {
      if (!(error instanceof E2eeError)) throw error;
      return { kind: 'undecryptable', conversationId, seq, messageId, senderId, reason: 'rejected' };
    }
  }

  private async processCommit(
    state: Conversation,
    session: GroupSession,
    item: MessageEnvelope,
  ): Promise<ChatEvent | undefined> {
    const { conversationId, seq, messageId, senderId } = item;
    const epoch = epochOfCommitMessageId(messageId);
    const slot = state.cursor.slot ?? 0;
    // Commits that made the group before this device joined, and its own, are in its state already.
    if (epoch === (state.cursor.joinedSlot ?? -1) - 1 && state.cursor.joinedSeq === undefined) {
      state.cursor.joinedSeq = seq;
    }
    if (epoch < slot) return undefined;
    if (epoch > slot) {
      throw new GroupStateError(`Commit for epoch ${epoch} found while at epoch ${slot}: state is stale`);
    }
    state.cursor.slot = slot + 1;
    if (await this.states.isOwnAhead(state, epoch, item.body)) {
      // Its own commit, stored by the server while the app stopped before storing the state it led to.
      state.session = state.ahead?.session;
      state.ahead = undefined;
      return undefined;
    }
    let decrypted: Awaited<ReturnType<GroupSession['decrypt']>>;
    try {
      if (item.body === undefined) throw new GroupStateError('The commit has no body');
      decrypted = await session.decrypt(fromBase64(item.body), { storedAt: Date.parse(item.sentAt) });
      if (decrypted.event.kind !== 'commit') throw new GroupStateError('Not a commit');
    } catch (error) {
      if (!(error instanceof E2eeError)) throw error;
      return { kind: 'refused-commit', conversationId, seq, epoch, senderId, reason: error.message };
    }
    const { session: next, event } = decrypted;
    if (event.kind !== 'commit') return undefined;
    state.session = event.removedSelf ? undefined : next;
    if (event.removedSelf) state.cursor = { seq: state.cursor.seq, leftSeq: seq };
    for (const { userId } of [...event.added, ...event.removed]) this.ctx.directory.forget(userId);
    return {
      kind: 'membership',
      conversationId,
      seq,
      epoch: Number(event.epoch),
      added: event.added,
      removed: event.removed,
      removedSelf: event.removedSelf,
    };
  }
}
