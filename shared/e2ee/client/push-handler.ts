import type { PushFrame } from '../../protocol/outbound';
import type { ChatEvent } from './chat-event';
import type { ClientContext } from './context';
import type { ConversationStates } from './conversation-state';
import type { LogReader } from './log-reader';
import { forEachConversation, type Reconciliation } from './reconciliation';

/** Turns the server's pushes into reads of the log, Welcomes taken, and groups brought in line. */
export class PushHandler {
  constructor(
    private readonly ctx: ClientContext,
    private readonly states: ConversationStates,
    private readonly reader: LogReader,
    private readonly reconciliation: Reconciliation,
  ) {}

  async handle(frame: PushFrame): Promise<ChatEvent[]> {
    const { self } = this.ctx;
    switch (frame.type) {
      case 'message':
        return this.states.serial(frame.conversationId, async () => {
          const state = await this.states.get(frame.conversationId);
          if (frame.seq <= state.cursor.seq) return [];
          state.announced = Math.max(state.announced ?? 0, frame.seq);
          if (frame.seq === state.cursor.seq + 1 && state.session !== undefined) {
            const events = await this.reader.process(frame.conversationId, state, [frame]);
            // Later seqs pushed before this one (sends overtake each other) are read from the log.
            if (state.announced <= state.cursor.seq) return events;
            return [...events, ...(await this.reader.syncNow(frame.conversationId))];
          }
          return this.reader.syncNow(frame.conversationId);
        });
      case 'message-ref':
        return this.reader.sync(frame.conversationId);
      case 'welcome':
        return frame.deviceId === self.deviceId ? this.reader.sync(frame.conversationId) : [];
      case 'conversation': {
        const stillMember = frame.memberIds.includes(self.userId);
        if (!stillMember) {
          await this.states.serial(frame.conversationId, () => this.states.forgetGroup(frame.conversationId));
          return [];
        }
        const events = await this.reader.sync(frame.conversationId);
        // Outside the conversation's queue on purpose: it only asks the next reconciliation to look again, which
        // must not wait behind whatever that queue holds (a re-added member waits on this reconciliation).
        (await this.states.get(frame.conversationId)).checked = undefined;
        await this.reconciliation.reconcile(frame.conversationId);
        return events;
      }
      case 'device':
        // A new name changes no key and no group.
        if (frame.event === 'renamed') return [];
        this.ctx.directory.forget(frame.userId);
        // This device's own registration or revocation: the other devices bring the groups in line.
        if (frame.userId === self.userId && frame.deviceId === self.deviceId) {
          if (frame.event === 'revoked') this.ctx.onRevoked();
          return [];
        }
        await forEachConversation(this.ctx, async ({ conversationId, memberIds }) => {
          if (memberIds.includes(frame.userId)) await this.reconciliation.reconcile(conversationId);
        });
        return [];
      default:
        return [];
    }
  }
}
