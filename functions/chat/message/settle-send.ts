import type { FanoutQueue, SendCheckJob } from '../../ports/fanout-queue';
import type { MessageLog, SettleOutcome } from '../../ports/message-log';
import { messageJobOf, originOf } from './message-job';

export interface SettleSendDeps {
  readonly messages: MessageLog;
  readonly fanout: FanoutQueue;
  readonly clock: () => number;
}

/**
 * Runs a send's check, queued before its message could be stored and handed out once its request
 * cannot still be running: when the message was stored and its fan-out never queued (the request died
 * in between), queues it now, read from the log. Otherwise there is nothing to do: the send queued it,
 * stored nothing, or was taken over by a retry that has a check of its own.
 */
export function settleSend(deps: SettleSendDeps) {
  return async (job: SendCheckJob): Promise<SettleOutcome> => {
    const origin = originOf(job);
    return deps.messages.settle(origin, deps.clock(), (stored) =>
      deps.fanout.enqueue(messageJobOf(origin, stored)),
    );
  };
}
