import {
  type ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { OutboundFrame } from '../../../shared/protocol/outbound';
import { ConnectionGoneError, ParleyError } from '../../errors';
import type { Notifier } from '../../ports/notifier';

/** Pushes frames through API Gateway's `@connections` API. */
export class ApiGatewayNotifier implements Notifier {
  constructor(private readonly client: ApiGatewayManagementApiClient) {}

  async send(connectionId: string, frame: OutboundFrame): Promise<void> {
    try {
      await this.client.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(frame)) }),
      );
    } catch (error) {
      if (isGone(error)) throw new ConnectionGoneError(connectionId, { cause: error });
      throw error;
    }
  }

  async close(connectionId: string): Promise<void> {
    try {
      await this.client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (error) {
      if (isGone(error)) throw new ConnectionGoneError(connectionId, { cause: error });
      throw error;
    }
  }

  /** `GetConnection`: no message is sent, so none is billed. */
  async lastActiveAt(connectionId: string): Promise<number> {
    try {
      const { LastActiveAt, ConnectedAt } = await this.client.send(
        new GetConnectionCommand({ ConnectionId: connectionId }),
      );
      const at = LastActiveAt ?? ConnectedAt;
      if (!at) throw new ParleyError('GetConnection answered without a time');
      return at.getTime();
    } catch (error) {
      if (isGone(error)) throw new ConnectionGoneError(connectionId, { cause: error });
      throw error;
    }
  }
}

/** By name or by status: a bundled SDK's error classes are not the caller's. */
function isGone(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === 'GoneException' || status === 410;
}
