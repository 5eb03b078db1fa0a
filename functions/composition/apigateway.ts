import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { ApiGatewayNotifier } from '../adapters/apigateway/apigateway-notifier';
import { Env, loadConfig } from '../config';
import { clientOptions } from './client-options';

/** Posts to WebSocket connections through the stage's `@connections` API, named by config on AWS too. */
export function notifier(): ApiGatewayNotifier {
  const config = loadConfig([Env.ConnectionsEndpoint]);
  return new ApiGatewayNotifier(
    new ApiGatewayManagementApiClient(clientOptions(config.CONNECTIONS_ENDPOINT)),
  );
}
