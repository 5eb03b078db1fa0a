import { allPages } from '../../client/api-client';
import { epochOfCommitMessageId } from '../../protocol/ids';
import type { MessageEnvelope } from '../../protocol/resources';
import { fromBase64 } from '../base64';
import type { HeldKeyPackage } from '../device-vault';
import { E2eeError } from '../errors';
import { GroupSession } from '../group-session';
import { type ClientContext, COMMIT_KIND } from './context';
import type { Conversation, ConversationStates } from './conversation-state';
import { topUpKeyPackages } from './key-package-stock';

/**
 * How a device that holds no group for a conversation gets one: from a Welcome another member's commit
 * sent it, or, for a group it founded itself and stopped before storing, from the state it wrote ahead.
 */
export class Welcomes {
  constructor(
    private readonly ctx: ClientContext,
    private readonly states: ConversationStates,
  ) {}

  /** Joins from the newest Welcome waiting for this device; acknowledges every one for the conversation. */
  async joinFromWelcome(conversationId: string, state: Conversation): Promise<boolean> {
    const { api, vault, directory } = this.ctx;
    const { deviceId } = this.ctx.self;
    const welcomes = (
      await allPages((cursor) =>
        api.listWelcomes({
          params: { deviceId },
          query: { limit: 100, ...(cursor === undefined ? {} : { cursor }) },
        }),
      )
    ).filter((w) => w.conversationId === conversationId);
    welcomes.sort((a, b) => b.epoch - a.epoch);
    let joined = false;
    for (const welcome of welcomes) {
      if (!joined) {
        try {
          const { session, usedKeyPackage } = await GroupSession.join(
            vault.device,
            directory,
            fromBase64(welcome.welcome),
            vault.keyPackages.map((p) => p),
          );
          const used = vault.keyPackages[usedKeyPackage] as HeldKeyPackage;
          await vault.used(used);
          state.session = session;
          state.cursor = {
            seq: state.cursor.seq,
            ...(state.cursor.leftSeq === undefined ? {} : { leftSeq: state.cursor.leftSeq }),
            slot: welcome.epoch,
            joinedSlot: welcome.epoch,
            updatedAt: this.ctx.clock(),
          };
          joined = true;
          await this.states.save(conversationId, state);
        } catch (error) {
          if (!(error instanceof E2eeError)) throw error;
          // A Welcome this device cannot use (not for its key packages, or vouching for unknown devices).
        }
      }
      await api.acknowledgeWelcome({ params: { deviceId, conversationId, epoch: welcome.epoch } });
    }
    if (joined) await topUpKeyPackages(this.ctx);
    return joined;
  }

  /**
   * A device that founded the group and stopped before storing it: when the log's first commit is the one
   * it wrote ahead, it takes the group from there, as if the post had answered; when another device's
   * founding commit is there instead, it forgets its own and waits for that one's Welcome.
   */
  async resumeFounding(conversationId: string, state: Conversation): Promise<boolean> {
    const ahead = state.ahead;
    if (ahead === undefined || !ahead.created) return false;
    const founding = await this.firstCommitOf(conversationId);
    if (founding === undefined) return false;
    if (!(await this.states.isOwnAhead(state, epochOfCommitMessageId(founding.messageId), founding.body))) {
      await this.states.dropAhead(conversationId, state);
      return false;
    }
    state.session = ahead.session;
    state.cursor = { seq: state.cursor.seq, joinedSlot: 0, joinedSeq: 0, slot: ahead.slot + 1 };
    state.cursor.updatedAt = this.ctx.clock();
    await this.states.save(conversationId, state);
    await this.states.dropAhead(conversationId, state);
    return true;
  }

  /** The log's first commit: the group's founding one. */
  private async firstCommitOf(conversationId: string): Promise<MessageEnvelope | undefined> {
    for (let after = 0; ; ) {
      const page = await this.ctx.api.listMessages({
        params: { conversationId },
        query: { after, limit: 100 },
      });
      const commit = page.items.find((item) => item.kind === COMMIT_KIND);
      if (commit) return commit;
      const last = page.items.at(-1);
      if (page.next === undefined || last === undefined) return undefined;
      after = last.seq;
    }
  }
}
