import { DynamoDbConnectionStore } from '../adapters/dynamodb/dynamodb-connection-store';
import type { closeConnection } from '../chat/connection/close-connection';
import type { OpenConnectionDeps } from '../chat/connection/open-connection';
import { clock } from './client-options';
import { mainTable } from './dynamodb';
import { caps } from './limits';
import { fanoutQueue } from './sqs';

/** `$disconnect`: the connection store and the queue that announces presence. */
export function buildDisconnectDeps(): Parameters<typeof closeConnection>[0] {
  const { client, tableName } = mainTable();
  return { connections: new DynamoDbConnectionStore(client, tableName), fanout: fanoutQueue(), clock };
}

/** `$connect`: what `$disconnect` has, and the socket cap. */
export function buildConnectDeps(): OpenConnectionDeps {
  return { ...buildDisconnectDeps(), caps: caps() };
}
