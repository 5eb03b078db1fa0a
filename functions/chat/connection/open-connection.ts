import { MAX_CONNECTION_DURATION_IN_SECONDS } from '../../../shared/protocol/limits';
import type { Caps } from '../../caps';
import { LimitReachedError } from '../../errors';
import type { ConnectionStore } from '../../ports/connection-store';
import type { FanoutQueue } from '../../ports/fanout-queue';
import { checkDelaySeconds, type Liveness } from './liveness';

/** Grace past API Gateway's hard cap before a connection missed by `$disconnect` expires. */
const EXPIRY_GRACE_IN_MS = 5 * 60 * 1000;

export interface OpenConnectionDeps {
  readonly connections: ConnectionStore;
  readonly fanout: FanoutQueue;
  readonly clock: () => number;
  readonly caps: Pick<Caps, 'socketsPerUser'>;
  readonly liveness: Liveness;
}

/**
 * Records a connection that passed the authorizer.
 * 1. Store it under its user, expiring after the longest life API Gateway allows; refused
 *    (`SessionEndedError`) when the user signed out everywhere since the authorizer let its token in.
 * 2. Past the user's socket cap, take it out again and refuse it.
 * 3. Have it checked one idle timeout from now (`checkConnection`), should its `$disconnect` never come.
 * 4. When it is the user's first open connection, announce them online.
 */
export function openConnection(deps: OpenConnectionDeps) {
  return async (command: {
    connectionId: string;
    userId: string;
    deviceId?: string;
    /** The `iat` of the token the authorizer verified (epoch s); a sign-out since then refuses it. */
    tokenIssuedAt?: number;
    correlationId: string;
  }): Promise<void> => {
    const now = deps.clock();
    const expiresAt = now + MAX_CONNECTION_DURATION_IN_SECONDS * 1000 + EXPIRY_GRACE_IN_MS;
    const change = await deps.connections.put(
      {
        connectionId: command.connectionId,
        userId: command.userId,
        connectedAt: now,
        ...(command.deviceId === undefined ? {} : { deviceId: command.deviceId }),
      },
      expiresAt,
      command.tokenIssuedAt === undefined ? {} : { tokenIssuedAt: command.tokenIssuedAt },
    );
    // Counted after the write, from the item it returns: one write, and expired entries never count.
    // Connections racing to the last place may all be refused; none passes the cap.
    if (change.openConnections > deps.caps.socketsPerUser) {
      await deps.connections.delete(command.userId, command.connectionId, now);
      throw new LimitReachedError(
        'socketsPerUser',
        deps.caps.socketsPerUser,
        'Too many open connections; close one first',
      );
    }
    await deps.fanout.enqueue(
      {
        kind: 'connection-check',
        userId: command.userId,
        connectionId: command.connectionId,
        correlationId: command.correlationId,
      },
      { delaySeconds: checkDelaySeconds(deps.liveness, now, now) },
    );
    if (change.openConnections === 1) {
      await deps.fanout.enqueue({
        kind: 'presence',
        userId: command.userId,
        online: true,
        correlationId: command.correlationId,
      });
    }
  };
}
