import {
  type ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { OutboundFrame } from '../../../shared/protocol/outbound';
import { ConnectionGoneError } from '../../errors';
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
}

/** By name or by status: a bundled SDK's error classes are not the caller's. */
function isGone(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === 'GoneException' || status === 410;
}
